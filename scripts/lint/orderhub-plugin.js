// ESLint rules of the hub's own. import-targets: boundaries that depend on WHERE an import lands, not on how it is spelled:
// `no-restricted-imports` matches the source text, so '../orders/intake.ts' from core/model and
// './intake.ts' from core/orders look alike to it. This rule resolves each relative import against
// the importing file and checks the project-relative target against glob lists.
//
// Options: an array of checks, each { allowOnly?: string[], deny?: string[], message: string }.
// A relative target must match one `allowOnly` glob (when given) and no `deny` glob.
import { dirname, relative, resolve } from 'node:path';

/** Globs as used in eslint.config.js (`**`, `*`, `{a,b}`) to a RegExp over project-relative paths. */
export function globToRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      source += `(?:${glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else source += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export const importTargets = {
  meta: {
    type: 'problem',
    docs: { description: 'Refuses relative imports whose resolved target lies outside what a layer may import.' },
    schema: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: { allowOnly: { type: 'array', items: { type: 'string' } }, deny: { type: 'array', items: { type: 'string' } }, message: { type: 'string' } },
          required: ['message'],
          additionalProperties: false,
        },
      },
    ],
  },
  create(context) {
    const checks = (context.options[0] ?? []).map((check) => ({
      allowOnly: check.allowOnly?.map(globToRegExp),
      deny: (check.deny ?? []).map(globToRegExp),
      message: check.message,
    }));
    const root = context.cwd;
    const from = dirname(context.filename);
    const inspect = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = relative(root, resolve(from, source)).split('\\').join('/');
      for (const check of checks) {
        const refused = (check.allowOnly && !check.allowOnly.some((r) => r.test(target))) || check.deny.some((r) => r.test(target));
        if (refused) context.report({ node, message: `${check.message} (${source} is ${target})` });
      }
    };
    const withSource = (node) => inspect(node.source, node.source?.value);
    return {
      ImportDeclaration: withSource,
      ExportNamedDeclaration: withSource,
      ExportAllDeclaration: withSource,
      ImportExpression: (node) => node.source.type === 'Literal' && inspect(node.source, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === 'Literal') inspect(literal, literal.value);
      },
    };
  },
};

/**
 * `require` escapes every import boundary (no-restricted-imports sees only import syntax), and in ESM
 * the only way to get one is node:module's createRequire. The hub is ESM throughout: no require at all.
 */
export const noRequire = {
  meta: { type: 'problem', docs: { description: 'Refuses node:module (createRequire) and require() calls.' }, schema: [] },
  create(context) {
    const message = 'require() and node:module (createRequire) escape the import-boundary lint: use a static import (or import.meta.resolve and readFile for a package.json).';
    const check = (node) => {
      if (node.source && (node.source.value === 'node:module' || node.source.value === 'module')) context.report({ node, message });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: (node) => node.source.type === 'Literal' && (node.source.value === 'node:module' || node.source.value === 'module') && context.report({ node, message }),
      "CallExpression[callee.type='Identifier'][callee.name='require']": (node) => context.report({ node, message }),
      TSImportEqualsDeclaration: (node) => node.moduleReference.type === 'TSExternalModuleReference' && context.report({ node, message }),
    };
  },
};

export default { rules: { 'import-targets': importTargets, 'no-require': noRequire } };
