import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';

/** Mailer over SMTP (any server: Postfix, SES, Resend's SMTP relay, ...), configured by URL. */
export function createSmtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}
