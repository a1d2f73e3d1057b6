// Chat against a running Parley from the command line (scripts/container-smoke.sh uses it):
//   node --import tsx test/deploy/chat-check.ts ws://127.0.0.1:9001/ [--save FILE] [--history FILE]
// Signs up two users and delivers a message between them; --save writes the users and the
// message id to FILE; --history first logs in the users saved in FILE and finds their message.
// Exits 0 when every step passed, 1 with the failing step otherwise.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chatRoundTrip, historyKept, type ChatCheck } from '../helpers/chat-check.js';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { save: { type: 'string' }, history: { type: 'string' } } });
  const url = positionals[0];
  if (url === undefined) throw new Error('usage: chat-check.ts WS_URL [--save FILE] [--history FILE]');
  if (values.history !== undefined) {
    const saved = JSON.parse(readFileSync(values.history, 'utf8')) as ChatCheck;
    await historyKept(url, saved.recipient, saved.messageId);
    console.log(`history kept: ${saved.recipient.login} logged in again and found message ${saved.messageId}`);
  }
  const check = await chatRoundTrip(url);
  console.log(`chat works: ${check.sender.login} -> ${check.recipient.login}, message ${check.messageId} acked and delivered`);
  if (values.save !== undefined) writeFileSync(values.save, JSON.stringify(check));
}

main().catch((err: unknown) => {
  console.error(`chat-check: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
