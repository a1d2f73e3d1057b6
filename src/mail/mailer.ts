/** Outgoing e-mail (password-reset codes). Implemented over SMTP in mail/smtp.ts. */
export interface Mailer {
  /** Resolves once the server accepted the message; rejects if it did not. */
  send(mail: { to: string; subject: string; text: string }): Promise<void>;
}
