import { useId } from 'react';
import { defineMessages, useT } from '../i18n';

/**
 * A small JSON-schema form renderer for connector configs (GET /v1/connectors: TypeBox specs, i.e.
 * plain JSON schema). Kinds: string (formats uri/email/date-time as input types), number/integer,
 * boolean, enum (enum or anyOf/oneOf of const), arrays of strings (one per line), nested objects.
 * Defaults are shown as placeholders (the hub fills them in), required fields are marked,
 * descriptions are hints. Secrets (`secret: true` or listed in secretFields) are write-only.
 */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  secret?: boolean;
  writeOnly?: boolean;
}

const messages = defineMessages({
  en: {
    secretSet: '••••••• (set — leave empty to keep)',
    secretUnset: 'not set',
    secretKeep: 'Set; leave empty to keep it.',
    byDefault: 'default: {value}',
    notSet: '— not set —',
    onePerLine: 'One value per line.',
    unsupported: 'This field cannot be edited here.',
  },
  ru: {
    secretSet: '••••••• (задано — оставьте пустым, чтобы не менять)',
    secretUnset: 'не задано',
    secretKeep: 'Задано; оставьте пустым, чтобы не менять.',
    byDefault: 'по умолчанию: {value}',
    notSet: '— не задано —',
    onePerLine: 'По одному значению в строке.',
    unsupported: 'Это поле здесь не редактируется.',
  },
});

export type FieldErrors = { field: string; message: string } | null;

/** The values an enum-like schema allows, or undefined. */
export function enumOf(schema: JsonSchema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && branches.length > 0 && branches.every((b) => 'const' in b)) return branches.map((b) => b.const);
  return undefined;
}

function typeOf(schema: JsonSchema): string {
  if (enumOf(schema)) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type) return type;
  if (schema.properties) return 'object';
  return 'unknown';
}

function isSecret(schema: JsonSchema, name: string, secretFields: readonly string[], depth: number): boolean {
  return schema.secret === true || schema.writeOnly === true || (depth === 0 && secretFields.includes(name));
}

const INPUT_TYPES: Record<string, string> = { uri: 'url', email: 'email', 'date-time': 'datetime-local', date: 'date' };

/** consumerKey → Consumer key (a property's name when its schema has no title). */
function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Removes what was left empty so the hub fills in its defaults (and keeps stored secrets). */
export function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === 'string' ? v.trim() : v)).filter((v) => v !== '');
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const pruned = pruneEmpty(inner);
      if (pruned === undefined || pruned === '') continue;
      if (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
      out[key] = pruned;
    }
    return out;
  }
  return value;
}

/** The form of an object schema (a connector's config). `path` prefixes ids and error fields (config). */
export function SchemaForm({ schema, value, onChange, secretFields, secretsSet, error, path, disabled }: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  secretFields: readonly string[];
  /** Secrets the stored config holds (shown as set, never prefilled). */
  secretsSet: ReadonlySet<string>;
  error: FieldErrors;
  path: string;
  disabled?: boolean;
}) {
  return (
    <ObjectFields
      schema={schema}
      value={value}
      onChange={onChange}
      secretFields={secretFields}
      secretsSet={secretsSet}
      error={error}
      path={path}
      depth={0}
      disabled={disabled}
    />
  );
}

function ObjectFields({ schema, value, onChange, secretFields, secretsSet, error, path, depth, disabled }: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  secretFields: readonly string[];
  secretsSet: ReadonlySet<string>;
  error: FieldErrors;
  path: string;
  depth: number;
  disabled?: boolean;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, field]) => (
        <Field
          key={name}
          name={name}
          schema={field}
          required={required.has(name)}
          value={value[name]}
          onChange={(next) => onChange({ ...value, [name]: next })}
          secret={isSecret(field, name, secretFields, depth)}
          secretSet={depth === 0 && secretsSet.has(name)}
          secretFields={secretFields}
          error={error}
          path={`${path}.${name}`}
          depth={depth}
          disabled={disabled}
        />
      ))}
    </>
  );
}

function Field({ name, schema, required, value, onChange, secret, secretSet, secretFields, error, path, depth, disabled }: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  secret: boolean;
  secretSet: boolean;
  secretFields: readonly string[];
  error: FieldErrors;
  path: string;
  depth: number;
  disabled?: boolean;
}) {
  const t = useT(messages);
  const id = useId();
  const kind = typeOf(schema);
  const label = schema.title ?? humanize(name);
  const fieldError = error && (error.field === path || error.field.startsWith(`${path}.`)) ? error.message : null;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const defaultText = schema.default !== undefined && typeof schema.default !== 'object' ? t('byDefault', { value: String(schema.default) }) : null;
  const hints = [secret && secretSet ? t('secretKeep') : null, schema.description, kind === 'array' ? t('onePerLine') : null, defaultText].filter(Boolean).join(' · ');
  const describedBy = [hints ? hintId : '', fieldError ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const caption = (
    <>
      {label}
      {required && !secretSet && <span className="req" aria-hidden="true"> *</span>}
    </>
  );
  const after = (
    <>
      {hints && (
        <small id={hintId} className="muted hint">
          {hints}
        </small>
      )}
      {fieldError && (
        <small id={errorId} className="field-error" role="alert">
          {fieldError}
        </small>
      )}
    </>
  );
  const common = { id, disabled, 'aria-describedby': describedBy, 'aria-invalid': fieldError ? true : undefined, name: path } as const;

  if (kind === 'object') {
    return (
      <fieldset className="schema-object">
        <legend>{label}</legend>
        <ObjectFields
          schema={schema}
          value={(value as Record<string, unknown> | undefined) ?? {}}
          onChange={onChange}
          secretFields={secretFields}
          secretsSet={new Set()}
          error={error}
          path={path}
          depth={depth + 1}
          disabled={disabled}
        />
        {after}
      </fieldset>
    );
  }
  if (kind === 'boolean') {
    const checked = typeof value === 'boolean' ? value : schema.default === true;
    return (
      <div className="schema-field">
        <label className="inline" htmlFor={id}>
          <input type="checkbox" {...common} checked={checked} onChange={(e) => onChange(e.target.checked)} />
          {caption}
        </label>
        {after}
      </div>
    );
  }
  let control;
  if (kind === 'enum') {
    const options = enumOf(schema) ?? [];
    control = (
      <select {...common} required={required} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : options.find((o) => String(o) === e.target.value))}>
        <option value="">{schema.default !== undefined ? t('byDefault', { value: String(schema.default) }) : t('notSet')}</option>
        {options.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (kind === 'integer' || kind === 'number') {
    control = (
      <input
        type="number"
        inputMode={kind === 'integer' ? 'numeric' : 'decimal'}
        step={kind === 'integer' ? 1 : 'any'}
        min={schema.minimum}
        max={schema.maximum}
        {...common}
        required={required && schema.default === undefined}
        placeholder={schema.default !== undefined ? String(schema.default) : undefined}
        value={value === undefined || value === null ? '' : String(value)}
        onChange={(e) => {
          const raw = e.target.value;
          if (raw === '') return onChange(undefined);
          const n = Number(raw);
          onChange(Number.isFinite(n) ? n : raw);
        }}
      />
    );
  } else if (kind === 'array') {
    const list = Array.isArray(value) ? value.map(String) : [];
    control = (
      <textarea
        {...common}
        rows={3}
        value={list.join('\n')}
        onChange={(e) => {
          const lines = e.target.value.split('\n');
          onChange(e.target.value === '' ? undefined : lines);
        }}
        onBlur={(e) => {
          const lines = e.target.value.split('\n').map((l) => l.trim()).filter(Boolean);
          onChange(lines.length ? lines : undefined);
        }}
      />
    );
  } else if (kind === 'string') {
    control = secret ? (
      <input
        type="password"
        autoComplete="new-password"
        {...common}
        required={required && !secretSet}
        placeholder={secretSet ? t('secretSet') : t('secretUnset')}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
      />
    ) : (
      <input
        type={(schema.format && INPUT_TYPES[schema.format]) ?? 'text'}
        {...common}
        required={required && schema.default === undefined}
        placeholder={schema.default !== undefined ? String(schema.default) : undefined}
        value={typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
      />
    );
  } else {
    control = <p className="muted">{t('unsupported')}</p>;
  }
  return (
    <div className="schema-field">
      <label htmlFor={id}>{caption}</label>
      {control}
      {after}
    </div>
  );
}
