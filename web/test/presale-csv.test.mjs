// The console's CSV of a presale group's codes (src/admin/presale-csv.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codesCsv, codesFileName, csvField } from '../src/admin/presale-csv.js';

test('the codes as CSV: a header, one line per code, empty for no use yet', () => {
  const csv = codesCsv([
    { code: 'ABCD-EFGH-JK', max_uses: 1, uses: 1, revoked: false, first_email: 'a@x.test', first_used_at: '2030-01-01T09:00:00Z' },
    { code: 'MNPQ-RSTV-WX', max_uses: 50, uses: 0, revoked: true, first_email: null, first_used_at: null },
  ]);
  assert.equal(
    csv,
    'code,max_uses,uses,revoked,first_email,first_used_at\r\n' +
      'ABCD-EFGH-JK,1,1,false,a@x.test,2030-01-01T09:00:00Z\r\n' +
      'MNPQ-RSTV-WX,50,0,true,,\r\n',
  );
});

test('fields are quoted when needed and never read as formulas', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField('@sum'), "'@sum");
  assert.equal(csvField(null), '');
});

test("the file is named after the group", () => {
  assert.equal(codesFileName('Fan club'), 'presale-codes-fan-club.csv');
  assert.equal(codesFileName('歌迷 俱樂部!'), 'presale-codes-歌迷-俱樂部.csv');
  assert.equal(codesFileName('***'), 'presale-codes.csv');
});
