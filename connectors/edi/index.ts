import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { ConnectorDefinition, PulledPage, WebhookVerdict } from '../_kit/definition.ts';
import { presentedApiKey, secretsEqual } from '../_kit/secret-token.ts';
import { decodeEdiBytes, ediSyntaxOf } from '../../lib/edi-text.ts';

/**
 * An EDI trading partner (EDIFACT ORDERS or X12 850). Interchanges arrive by HTTP upload
 * (`POST /v1/channels/<id>/files` with `Authorization: Bearer <uploadToken>`) or are dropped into
 * a watched inbox directory, which each sync reads: a file is moved to `processed/` only after it
 * was archived, so a crash re-reads it and intake dedupes. Parsing is `mappings/edi`.
 */
export const EdiConfigSchema = Type.Object(
  {
    syntax: Type.Union([Type.Literal('auto'), Type.Literal('edifact'), Type.Literal('x12')], { default: 'auto' }),
    /** Our own id in the partner's interchanges (GLN for EDIFACT, ISA id for X12): the sender of acknowledgements. */
    ourId: Type.String({ minLength: 1 }),
    ourQualifier: Type.Optional(Type.String({ description: 'EDIFACT UNB qualifier (14 = GLN) or X12 ISA qualifier (ZZ, 01, 12...)' })),
    uploadToken: Type.Optional(Type.String({ minLength: 24 })),
    inboxDir: Type.Optional(Type.String({ minLength: 1 })),
    /** Where acknowledgements are written as files too (they are always kept in the hub's outbox). */
    outboxDir: Type.Optional(Type.String({ minLength: 1 })),
    maxFileBytes: Type.Integer({ minimum: 1024, maximum: 512 * 1024 * 1024, default: 64 * 1024 * 1024 }),
    /**
     * Syntax-level acknowledgements (EDIFACT CONTRL, X12 997): none; only for interchanges with a rejected
     * envelope or message (UCI/UCM action 4, AK5/AK9 R); or for every interchange. Default none: a partner
     * that did not agree to receive them may not read them.
     */
    syntaxAcknowledgement: Type.Union([Type.Literal('none'), Type.Literal('rejections'), Type.Literal('all')], { default: 'none' }),
    /**
     * A control number (UNB 0020 / ISA13, UNG 0048 / GS06) the partner already sent in another payload:
     * reject that payload (no orders, the error names the first payload) or import it with a warning.
     */
    duplicateControlNumbers: Type.Union([Type.Literal('reject'), Type.Literal('warn')], { default: 'warn' }),
  },
  { additionalProperties: false },
);
export type EdiConfig = Static<typeof EdiConfigSchema>;
/** Inbox reading needs no cursor: the directory itself is the queue. */
export type EdiState = Record<string, never>;

const IN_FLIGHT = /(^\.|\.(tmp|part|partial|filepart)$)/i;

export const ediConnector: ConnectorDefinition<EdiConfig, EdiState> = {
  type: 'edi',
  title: 'EDI partner (EDIFACT ORDERS, X12 850)',
  channelKind: 'edi',
  spec: EdiConfigSchema,
  secretFields: ['uploadToken'],

  async check(config) {
    if (!config?.uploadToken && !config?.inboxDir) {
      return { ok: false, message: 'Give an upload token (partners POST files) or an inbox directory (files dropped there), or both.' };
    }
    const parts: string[] = [];
    if (config.inboxDir) {
      try {
        const info = await stat(config.inboxDir);
        if (!info.isDirectory()) return { ok: false, message: `The inbox ${config.inboxDir} is not a directory.` };
        const waiting = (await readdir(config.inboxDir, { withFileTypes: true })).filter((e) => e.isFile() && !IN_FLIGHT.test(e.name)).length;
        parts.push(`inbox ${config.inboxDir} is readable (${waiting} file${waiting === 1 ? '' : 's'} waiting)`);
      } catch (error) {
        return { ok: false, message: `The inbox ${config.inboxDir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.` };
      }
    }
    if (config.uploadToken) parts.push('uploads are accepted with the bearer token');
    return { ok: true, message: `EDI channel ready: ${parts.join('; ')}.` };
  },

  async *pull(config): AsyncGenerator<PulledPage<EdiState>> {
    if (!config.inboxDir) return;
    const processed = join(config.inboxDir, 'processed');
    const rejected = join(config.inboxDir, 'rejected');
    const names = (await readdir(config.inboxDir, { withFileTypes: true }))
      .filter((e) => e.isFile() && !IN_FLIGHT.test(e.name))
      .map((e) => e.name)
      .sort();
    let page = 0;
    for (const name of names) {
      const path = join(config.inboxDir, name);
      page += 1;
      // Size first: an oversized file is never read whole into memory.
      const size = (await stat(path)).size;
      if (size > config.maxFileBytes) {
        yield {
          source: `file://${path}`,
          contentType: 'text/plain',
          body: `${(await readStart(path, 2048)).toString('latin1')}\n… (${size} bytes in all; only the start is kept)`,
          page,
          totalPages: names.length,
          error: { code: 'invalid_data', message: `File ${name} is ${size} bytes, above this channel's limit of ${config.maxFileBytes}; moved to rejected/.` },
        };
        await moveTo(rejected, path);
        continue;
      }
      const bytes = await readFile(path);
      const decoded = decodeEdiBytes(bytes);
      const syntax = config.syntax === 'auto' ? ediSyntaxOf(decoded.text) : config.syntax;
      yield {
        source: `file://${path}`,
        contentType: `${syntax === 'x12' ? 'application/edi-x12' : 'application/edifact'}; charset=${decoded.charset}`,
        body: decoded.text,
        page,
        totalPages: names.length,
        error: syntax ? undefined : { code: 'invalid_data', message: `File ${name} is neither EDIFACT (UNA/UNB) nor X12 (ISA).` },
      };
      // Resumed: the page is archived, so the file can leave the inbox.
      await moveTo(processed, path);
    }
  },

  webhook: {
    verify(request, config): WebhookVerdict {
      if (!secretsEqual(presentedApiKey(request.headers), config?.uploadToken)) {
        return { kind: 'rejected', reason: 'Missing or wrong upload token (Authorization: Bearer <uploadToken>).' };
      }
      if (request.rawBody.length > (config.maxFileBytes ?? 64 * 1024 * 1024)) {
        return { kind: 'rejected', reason: `The file is larger than this channel's limit of ${config.maxFileBytes} bytes.` };
      }
      return { kind: 'accepted', topic: 'edi.upload' };
    },
    maxBodyBytes(config) {
      return config?.maxFileBytes ?? 64 * 1024 * 1024;
    },
    decode(request) {
      const decoded = decodeEdiBytes(request.rawBody);
      const syntax = ediSyntaxOf(decoded.text);
      return { body: decoded.text, contentType: `${syntax === 'x12' ? 'application/edi-x12' : 'application/edifact'}; charset=${decoded.charset}` };
    },
  },
};

async function readStart(path: string, bytes: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

async function moveTo(dir: string, path: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  await rename(path, join(dir, `${stamp}-${basename(path)}`));
}
