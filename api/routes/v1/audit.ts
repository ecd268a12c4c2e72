import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AuditEventSchema, AuditQuerySchema, listAudit } from '../../../core/audit/audit-log.ts';
import { staff } from '../../auth/access.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';

/** /v1/audit: the audit log, newest first. */
const auditRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['auth'];

  app.get(
    '/audit',
    {
      config: staff('audit.read'),
      schema: {
        tags,
        summary: 'The audit log, newest first: changes made through the API and the CLI, sign-ins, and before/after of configuration and permission changes',
        querystring: AuditQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(AuditEventSchema) }), ...errors(400) },
      },
    },
    async (request) => ({ items: await listAudit(deps.db, request.query) }),
  );
};

export default auditRoutes;
