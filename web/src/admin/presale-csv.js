// The presale page's pure helpers (unit-tested): the CSV of a group's codes, and the
// file name it downloads as.

const HEADER = ['code', 'max_uses', 'uses', 'revoked', 'first_email', 'first_used_at'];

/** One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180);
 *  a leading =, +, - or @ is prefixed with ' so spreadsheets read text, not a formula. */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The codes (as the list endpoint answers them) as CSV text with a header line. */
export function codesCsv(codes) {
  const lines = [HEADER.join(',')];
  for (const c of codes) {
    lines.push(
      [c.code, c.max_uses, c.uses, c.revoked ? 'true' : 'false', c.first_email, c.first_used_at].map(csvField).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** `presale-codes-fan-club.csv` from the group's name (letters and digits kept). */
export function codesFileName(groupName) {
  const slug = String(groupName ?? '')
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `presale-codes${slug ? `-${slug}` : ''}.csv`;
}
