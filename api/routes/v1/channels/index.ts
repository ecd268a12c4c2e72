import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChannelService } from '../../../../core/channels/channels.ts';
import { latestSyncRuns } from '../../../../core/channels/sync-runs.ts';
import { channelSyncStatus, lastSyncSummary } from '../../../../core/channels/sync-status.ts';
import type { RouteDeps } from '../../../deps.ts';
import {
  ChannelListSchema,
  CheckReportSchema,
  CreateChannelBodySchema,
  ListChannelsQuerySchema,
  PublicChannelSchema,
  ResyncBodySchema,
  ResyncReceiptSchema,
  SyncReceiptSchema,
  SyncStatusSchema,
  UpdateChannelBodySchema,
} from '../../../schemas/channels.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import webhookRoutes from './webhook.ts';
import { staff } from '../../../auth/access.ts';
import { auditChange } from '../../../auth/audit-change.ts';
import { actorOf } from '../../../auth/request-context.ts';

/** /v1/channels: channel admin, connection check, manual sync and sync status. */
const channelRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const channels = new ChannelService(deps.db, deps.catalog);
  const tags = ['channels'];

  app.post(
    '/channels',
    {
      config: staff('channels.write'),
      schema: {
        tags,
        summary: 'Create a channel',
        body: CreateChannelBodySchema,
        response: { 201: PublicChannelSchema, ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const channel = await channels.create(request.body);
      await auditChange(deps.db, request, { action: 'channel.create', target: { type: 'channel', id: channel.id }, after: channels.toPublic(channel) });
      await deps.actions.channelChanged(channel.id);
      return reply.code(201).send(channels.toPublic(channel));
    },
  );

  app.get(
    '/channels',
    { config: staff('channels.read'), schema: { tags, summary: 'List channels with their last sync', querystring: ListChannelsQuerySchema, response: { 200: ChannelListSchema, ...errors(400) } } },
    async (request) => {
      const list = await channels.list(request.query.enabled === undefined ? {} : { enabled: request.query.enabled });
      const runs = await latestSyncRuns(deps.db, list.map((c) => c.id));
      return {
        items: list.map((c) => {
          const run = runs.get(c.id);
          return { ...channels.toPublic(c), lastSync: run ? lastSyncSummary(run) : null };
        }),
      };
    },
  );

  app.get(
    '/channels/:id',
    { config: staff('channels.read'), schema: { tags, summary: 'Get a channel', params: IdParamsSchema, response: { 200: PublicChannelSchema, ...errors(404) } } },
    async (request) => channels.toPublic(await channels.get(request.params.id)),
  );

  app.patch(
    '/channels/:id',
    {
      config: staff('channels.write'),
      schema: {
        tags,
        summary: 'Change a channel',
        params: IdParamsSchema,
        body: UpdateChannelBodySchema,
        response: { 200: PublicChannelSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const before = channels.toPublic(await channels.get(request.params.id));
      const channel = await channels.update(request.params.id, request.body);
      await auditChange(deps.db, request, { action: 'channel.update', target: { type: 'channel', id: channel.id }, before, after: channels.toPublic(channel) });
      await deps.actions.channelChanged(channel.id);
      return channels.toPublic(channel);
    },
  );

  app.post(
    '/channels/:id/check',
    {
      config: staff('channels.write'),
      schema: {
        tags,
        summary: "Check the channel's credentials and reachability",
        params: IdParamsSchema,
        response: { 200: CheckReportSchema, ...errors(404) },
      },
    },
    async (request) => {
      await channels.get(request.params.id);
      return deps.actions.checkChannel(request.params.id);
    },
  );

  app.post(
    '/channels/:id/sync',
    {
      config: staff('channels.sync'),
      schema: {
        tags,
        summary: 'Queue a sync of the channel now',
        params: IdParamsSchema,
        response: { 202: SyncReceiptSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      await channels.get(request.params.id);
      const receipt = await deps.actions.requestSync(request.params.id, 'manual');
      return reply.code(202).send(receipt);
    },
  );

  app.post(
    '/channels/:id/resync',
    {
      config: staff('channels.sync'),
      schema: {
        tags,
        summary: 'Set the sync cursor back (to `since`, or for a full re-read) and queue a sync',
        description:
          'Refused with 409 while a sync holds the channel (ask again when it has finished). Recorded in the run history as a run of trigger `resync` with who asked and the previous cursor.',
        params: IdParamsSchema,
        body: ResyncBodySchema,
        response: { 202: ResyncReceiptSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await channels.get(request.params.id);
      const since = request.body?.since === undefined ? undefined : new Date(request.body.since);
      const receipt = await deps.actions.resyncChannel(request.params.id, { since, requestedBy: actorOf(request).login });
      await auditChange(deps.db, request, { action: 'channel.resync', target: { type: 'channel', id: request.params.id }, details: { since: receipt.since, runId: receipt.runId } });
      return reply.code(202).send(receipt);
    },
  );

  app.get(
    '/channels/:id/sync-status',
    {
      config: staff('channels.read'),
      schema: {
        tags,
        summary: 'Last runs, last success, last error, and whether a sync is running',
        params: IdParamsSchema,
        response: { 200: SyncStatusSchema, ...errors(404) },
      },
    },
    async (request) => channelSyncStatus(deps.db, request.params.id),
  );

  // Its own encapsulated context: the webhook reads the raw bytes, the rest of the API parses JSON.
  await app.register(webhookRoutes, { deps });
};

export default channelRoutes;
