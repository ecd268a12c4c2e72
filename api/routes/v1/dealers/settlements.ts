import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IsoDate } from '../../../../core/model/common.ts';
import { SettlementsViewSchema } from '../../../../core/model/settlements.ts';
import { SettlementService } from '../../../../core/settlements/settlement-service.ts';
import { STATEMENT_FORMATS, statementFile, type StatementFormat } from '../../../../core/settlements/statement-file.ts';
import { staffOrDealer } from '../../../auth/access.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerCodeParamsSchema } from '../../../schemas/dealers.ts';

/** A file's bytes (sent as they are; fastify does not serialise a Buffer). */
const FileSchema = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

const PeriodQuerySchema = Type.Object({ from: IsoDate, to: IsoDate }, { additionalProperties: false });

/**
 * /v1/dealers/:code/settlements: a dealer's settlements with the manufacturer as 1C last reported them,
 * and the reconciliation statement (акт сверки) as CSV or PDF. Staff with settlements.read read any
 * dealer; a dealer's own users (dealer.settlements.read) read only their own: another dealer's code is
 * answered 404 by the access decision before any of this runs.
 */
const dealerSettlementRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const settlements = new SettlementService(deps.db);
  const tags = ['settlements'];
  const access = staffOrDealer('settlements.read', 'dealer.settlements.read');

  app.get(
    '/dealers/:code/settlements',
    {
      config: access,
      schema: {
        tags,
        summary: "A dealer's settlements for a period: opening balance, shipped, paid, returns, closing balance, overdue debt, credit limit and the documents",
        params: DealerCodeParamsSchema,
        querystring: PeriodQuerySchema,
        response: { 200: SettlementsViewSchema, ...errors(400, 404) },
      },
    },
    async (request) => settlements.forPeriod(request.params.code, request.query.from, request.query.to),
  );

  const summaries: Record<StatementFormat, string> = {
    csv: 'The reconciliation statement (акт сверки) for a period as CSV for Excel (UTF-8 with BOM, ";")',
    pdf: 'The reconciliation statement (акт сверки) for a period as PDF',
  };
  for (const format of Object.keys(STATEMENT_FORMATS) as StatementFormat[]) {
    app.get(
      `/dealers/:code/settlements/statement.${format}`,
      {
        config: access,
        schema: {
          tags,
          summary: summaries[format],
          params: DealerCodeParamsSchema,
          querystring: PeriodQuerySchema,
          response: { 200: FileSchema, ...errors(400, 404) },
        },
      },
      async (request, reply) => {
        const file = await statementFile(deps.db, request.params.code, request.query, format, deps.actions.companyName);
        return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.bytes);
      },
    );
  }
};

export default dealerSettlementRoutes;
