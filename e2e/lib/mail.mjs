// The development mail sink (daily mbox files in the server's data directory), read as a resident reads
// their mail: links and codes are taken from the newest mail to an address.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The body of a mail: quoted-printable or base64 as the mailer chose. */
export function mailBody(eml) {
  const [head, ...rest] = eml.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** Every mail of the sink, oldest first (`From ` lines inside messages are quoted with `>`). */
export function sentMails(dataDir) {
  const dir = join(dataDir, 'mail');
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.mbox')).sort(); } catch { return []; }
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split(/^From .*\n/m).slice(1))
    .map((m) => m.replace(/^>(>*From )/gm, '$1'));
}

/** Waits for a mail to `to` whose body matches `pattern` (newest first); returns the match. */
export async function waitForMail(dataDir, to, pattern, { after = 0 } = {}) {
  const toLine = new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi');
  for (let i = 0; i < 200; i++) {
    const mails = sentMails(dataDir).slice(after);
    for (const eml of mails.reverse()) {
      if (!toLine.test(eml)) continue;
      const m = mailBody(eml).match(pattern);
      if (m) return m;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail to ${to} matching ${pattern}`);
}

/** The path of the newest link under `path` mailed to `to`. */
export async function mailedLink(dataDir, to, path) {
  const [url] = await waitForMail(dataDir, to, new RegExp(`https?://\\S+${path}\\S+`));
  const u = new URL(url);
  return u.pathname + u.search;
}

/** How many mails the sink holds now (to wait only for mails sent after this point). */
export const mailCount = (dataDir) => sentMails(dataDir).length;

/** The claim code (six digits) of the first claim-code mail to `to` sent after `after` mails. */
export async function mailedCode(dataDir, to, after) {
  const m = await waitForMail(dataDir, to, /確認コード: (\d{6})/, { after });
  return m[1];
}
