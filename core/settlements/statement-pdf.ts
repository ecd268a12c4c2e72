import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { HubError } from '../errors.ts';
import type { Statement } from './statement.ts';

/**
 * The statement as a PDF (A4). The standard PDF fonts have no Cyrillic, and a server may have no fonts
 * at all, so DejaVu Sans comes from the `dejavu-fonts-ttf` package and is embedded (subset) in the file.
 */
export async function statementPdf(statement: Statement): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: statement.title, Creator: 'orderhub' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', font('DejaVuSans.ttf'));
  doc.registerFont('bold', font('DejaVuSans-Bold.ttf'));

  doc.font('bold').fontSize(13).text(statement.title, { align: 'center' });
  doc.font('regular').fontSize(10).moveDown(0.3).text(statement.parties, { align: 'center' }).moveDown(1);

  const columns = [
    { title: 'Дата', width: 70, align: 'left' as const },
    { title: 'Документ', width: 245, align: 'left' as const },
    { title: 'Дебет', width: 100, align: 'right' as const },
    { title: 'Кредит', width: 100, align: 'right' as const },
  ];
  const left = doc.page.margins.left;
  const row = (cells: (string | null)[], bold: boolean) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    const top = doc.y;
    let x = left;
    let height = 0;
    doc.font(bold ? 'bold' : 'regular').fontSize(9);
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      const text = cell ?? '';
      height = Math.max(height, doc.heightOfString(text, { width: column.width - 6 }));
      doc.text(text, x + 3, top + 3, { width: column.width - 6, align: column.align });
      x += column.width;
    });
    const total = columns.reduce((w, c) => w + c.width, 0);
    doc.rect(left, top, total, height + 6).stroke();
    x = left;
    for (const column of columns.slice(0, -1)) {
      x += column.width;
      doc.moveTo(x, top).lineTo(x, top + height + 6).stroke();
    }
    doc.x = left;
    doc.y = top + height + 6;
  };
  row(columns.map((c) => c.title), true);
  for (const line of statement.lines) row([line.date, line.text, line.debit, line.credit], line.date === null);
  doc.moveDown(1).font('regular').fontSize(10).text(statement.conclusion, left, doc.y, { width: 515 });
  doc.end();
  return done;
}

function font(file: string): string {
  // Resolved like an import (wherever npm put the package); beside the hub's own node_modules when the runtime cannot resolve.
  let path: string;
  try {
    path = fileURLToPath(import.meta.resolve(`dejavu-fonts-ttf/ttf/${file}`));
  } catch {
    path = fileURLToPath(new URL(`../../node_modules/dejavu-fonts-ttf/ttf/${file}`, import.meta.url));
  }
  if (!existsSync(path)) throw new HubError('internal', `The font ${file} of the dejavu-fonts-ttf package is missing (npm install); a statement cannot be printed without Cyrillic glyphs.`);
  return path;
}
