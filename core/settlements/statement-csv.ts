import type { Statement } from './statement.ts';

/**
 * The statement as CSV for Excel with Russian settings: UTF-8 with a BOM (without it Excel reads
 * cp1251), `;` between fields, CRLF, amounts with a decimal comma and no thousands separator (a
 * separator would make Excel read text instead of a number).
 */
export function statementCsv(statement: Statement): Buffer {
  const rows: (string | null)[][] = [
    [statement.title],
    [statement.parties],
    [],
    ['Дата', 'Документ', 'Дебет', 'Кредит'],
    ...statement.lines.map((l) => [l.date, l.text, plain(l.debit), plain(l.credit)]),
    [],
    [statement.conclusion],
  ];
  const text = rows.map((row) => row.map(field).join(';')).join('\r\n') + '\r\n';
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

function plain(amount: string | null): string | null {
  return amount === null ? null : amount.replace(/\u00a0/g, '');
}

function field(value: string | null): string {
  if (value === null) return '';
  return /[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
