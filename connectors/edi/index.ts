import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { ConnectorDefinition, PageFate, PulledPage, WebhookRequest, WebhookVerdict } from '../_kit/definition.ts';
import { presentedApiKey, secretsEqual } from '../_kit/secret-token.ts';
import { ediCharsetOf, ediHeadOf, ediSyntaxOf } from '../../lib/edi-text.ts';
import { isTextEncoding, notTextReason, sniffEncoding } from '../../lib/text-bytes.ts';

/**
 * An EDI trading partner (EDIFACT ORDERS or X12 850). Interchanges arrive by HTTP upload
 * (`POST /v1/channels/<id>/files` with `Authorization: Bearer <uploadToken>`) or are dropped into
 * a watched inbox directory, which each sync reads: each file's bytes are archived as read, and the
 * file is moved only after the hub had it (a crash re-reads it and intake dedupes): to `processed/`
 * when read, to `rejected/` with a `<name>.reason.txt` when the hub found it unreadable, and left
 * in place when it could not be archived. Parsing is `mappings/edi`.
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

  async *pull(config, _state, options): AsyncGenerator<PulledPage<EdiState>> {
    if (!config.inboxDir) return;
    const inbox = config.inboxDir;
    const now = options?.now ?? (() => new Date());
    const names = (await readdir(inbox, { withFileTypes: true }))
      .filter((e) => e.isFile() && !IN_FLIGHT.test(e.name))
      .map((e) => e.name)
      .sort();
    let page = 0;
    for (const name of names) {
      page += 1;
      // One file never blocks another: whatever goes wrong with it is said on its own page.
      const read = await readInboxFile(config, inbox, name);
      if (!read) continue; // gone meanwhile (another reader took it)
      let fate: PageFate | undefined;
      yield { ...read, page, totalPages: names.length, settled: (f) => void (fate = f) };
      // Resumed: the page is archived (and read, when the hub says so), so the file can leave the inbox.
      await settleInboxFile(inbox, name, read, fate, now());
    }
  },

  webhook: {
    verify(request, config): WebhookVerdict {
      const verdict = verifyToken(request, config);
      if (verdict.kind !== 'accepted') return verdict;
      if (request.rawBody.length > (config.maxFileBytes ?? 64 * 1024 * 1024)) {
        return { kind: 'rejected', reason: `The file is larger than this channel's limit of ${config.maxFileBytes} bytes.` };
      }
      return verdict;
    },
    // The token is a header: the file streams into the archive (the hub cuts it at maxFileBytes).
    verifyUpload: verifyToken,
    maxBodyBytes(config) {
      return config?.maxFileBytes ?? 64 * 1024 * 1024;
    },
    decode(request, _config, whole) {
      // A streamed upload: rawBody is the file's start, `whole` what the hub learnt of all of it.
      if (!isTextEncoding(whole?.encoding ?? sniffEncoding(request.rawBody))) return { contentType: 'application/octet-stream' };
      const { charset } = ediCharsetOf(request.rawBody, whole?.utf8);
      const syntax = ediSyntaxOf(ediHeadOf(request.rawBody, charset));
      return { contentType: `${syntax === 'x12' ? 'application/edi-x12' : 'application/edifact'}; charset=${charset}`, encoding: charset };
    },
  },
};

function verifyToken(request: Omit<WebhookRequest, 'rawBody'>, config: EdiConfig): WebhookVerdict {
  if (!secretsEqual(presentedApiKey(request.headers), config?.uploadToken)) {
    return { kind: 'rejected', reason: 'Missing or wrong upload token (Authorization: Bearer <uploadToken>).' };
  }
  return { kind: 'accepted', topic: 'edi.upload' };
}

type InboxRead = Omit<PulledPage<EdiState>, 'page' | 'totalPages' | 'settled'>;

/** One inbox file as a page to archive (bytes as read), or undefined when it vanished. Never throws. */
async function readInboxFile(config: EdiConfig, inbox: string, name: string): Promise<InboxRead | undefined> {
  const path = join(inbox, name);
  const source = `file://${path}`;
  try {
    // Size first: an oversized file is never read whole into memory.
    const size = (await stat(path)).size;
    if (size > config.maxFileBytes) {
      return {
        source,
        contentType: 'application/octet-stream',
        body: '',
        bytes: Buffer.concat([await readStart(path, 2048), Buffer.from(`\n… (${size} bytes in all; only the start is kept)`)]),
        error: { code: 'invalid_data', message: `File ${name} is ${size} bytes, above this channel's limit of ${config.maxFileBytes}; moved to rejected/.` },
      };
    }
    const bytes = await readFile(path);
    const encoding = sniffEncoding(bytes);
    if (!isTextEncoding(encoding)) {
      return { source, contentType: 'application/octet-stream', body: '', bytes, encoding, error: { code: 'invalid_data', message: `File ${name}: ${notTextReason(encoding, bytes.length)}.` } };
    }
    const { charset } = ediCharsetOf(bytes);
    const syntax = config.syntax === 'auto' ? ediSyntaxOf(ediHeadOf(bytes, charset)) : config.syntax;
    return {
      source,
      contentType: `${syntax === 'x12' ? 'application/edi-x12' : 'application/edifact'}; charset=${charset}`,
      body: '',
      bytes,
      encoding: charset,
      error: syntax ? undefined : { code: 'invalid_data', message: `File ${name} is neither EDIFACT (UNA/UNB) nor X12 (ISA).` },
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = `File ${name} could not be read: ${code ?? (error as Error).message}.`;
    return { source, contentType: 'text/plain', body: reason, error: { code: 'invalid_data', message: reason } };
  }
}

/**
 * After the hub had the page: a file it could not read goes to rejected/ with a reason file beside
 * it; one it archived and read goes to processed/; one it could not archive stays in the inbox for
 * the next run. A consumer that reports nothing gets the page's own verdict (broken: rejected).
 * A move that fails leaves the file in the inbox: read again next run, deduplicated by the archive.
 */
async function settleInboxFile(inbox: string, name: string, read: InboxRead, fate: PageFate | undefined, at: Date): Promise<void> {
  if (fate && !fate.archived) return;
  const failed = fate ? fate.status === 'failed' : read.error !== undefined;
  try {
    if (!failed) return void (await moveTo(join(inbox, 'processed'), join(inbox, name), at));
    const moved = await moveTo(join(inbox, 'rejected'), join(inbox, name), at);
    const reason = (fate?.archived ? fate.error : undefined) ?? read.error?.message ?? 'the hub could not read it';
    const payload = fate?.archived ? `${fate.payloadId} (hub payloads show ${fate.payloadId})` : 'not recorded';
    await writeFile(`${moved}.reason.txt`, `File: ${name}\nRejected at: ${at.toISOString()}\nPayload: ${payload}\nReason: ${reason}\n`, 'utf8');
  } catch {
    // Left where it is; see above.
  }
}

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

/** Moves a file into dir under a time-stamped name (a resent file never overwrites the earlier one); returns its new path. */
async function moveTo(dir: string, path: string, at: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${at.toISOString().replace(/[:.]/g, '-')}-${basename(path)}`);
  await rename(path, target);
  return target;
}
