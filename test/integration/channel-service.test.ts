import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelService, REDACTED } from '../../core/channels/channels.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { fakeCatalog } from '../api/fakes.ts';
import { createRegistry } from '../../jobs/registry.ts';

describe('channel service on PostgreSQL', () => {
  let t: TestDatabase;
  let channels: ChannelService;
  const config = { url: 'https://shop.example', apiKey: 'key', apiSecret: 's3cret' };

  beforeAll(async () => {
    t = await createTestPostgres();
    channels = new ChannelService(t.db, fakeCatalog);
  });
  afterAll(() => t.drop());

  it('when two operators create the same channel name at once, one wins and the other gets a conflict on name', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => channels.create({ name: 'Race', connectorType: 'testshop', config })));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const failed of attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected')) {
      expect(failed.reason).toMatchObject({ code: 'conflict', field: 'name' });
    }
  });

  it('keeps stored secrets when they are left out or sent back redacted', async () => {
    const channel = await channels.create({ name: 'Keeps secrets', connectorType: 'testshop', config });
    const updated = await channels.update(channel.id, { config: { url: 'https://shop.example', apiKey: 'key2', apiSecret: REDACTED } });
    expect(updated.config).toMatchObject({ apiKey: 'key2', apiSecret: 's3cret' });
  });

  it('refuses to move a channel to another URL with its old secrets, naming the secret to send', async () => {
    const channel = await channels.create({ name: 'Moves', connectorType: 'testshop', config });
    await expect(channels.update(channel.id, { config: { url: 'https://evil.example', apiKey: 'key' } })).rejects.toMatchObject({
      code: 'invalid_data',
      field: 'config.apiSecret',
    });
    const moved = await channels.update(channel.id, { config: { url: 'https://new.example', apiKey: 'key', apiSecret: 'new-secret' } });
    expect(moved.config).toMatchObject({ url: 'https://new.example', apiSecret: 'new-secret' });
  });

  it('refuses a schedule the schedulers cannot run', async () => {
    await expect(channels.create({ name: 'Bad cron', connectorType: 'testshop', config, syncSchedule: '99 * * * *' })).rejects.toMatchObject({
      code: 'invalid_data',
      field: 'syncSchedule',
    });
  });
});

describe('channel mapping overrides', () => {
  let t: TestDatabase;
  let channels: ChannelService;
  const config = { url: 'https://shop.example', consumerKey: 'ck_1', consumerSecret: 'cs_1' };

  beforeAll(async () => {
    t = await createTestPostgres();
    channels = new ChannelService(t.db, createRegistry());
  });
  afterAll(() => t.drop());

  it('are checked against the mapping’s own schema, naming the field, instead of being ignored later', async () => {
    await expect(channels.create({ name: 'Woo', connectorType: 'woocommerce', config, mapping: { statusMap: { processing: 'bogus' } } })).rejects.toMatchObject({
      code: 'invalid_data',
      field: expect.stringMatching(/^mapping\.statusMap/),
    });
    const channel = await channels.create({ name: 'Woo', connectorType: 'woocommerce', config, mapping: { statusMap: { processing: 'on_hold' } } });
    expect(channel.mapping).toEqual({ statusMap: { processing: 'on_hold' } });
    await expect(channels.update(channel.id, { mapping: { unknownOption: true } })).rejects.toMatchObject({ code: 'invalid_data', field: expect.stringMatching(/^mapping/) });
  });
});
