import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok } from '../api/client';
import { useFormat } from '../format';
import { useLocale, useT } from '../i18n';
import { useCan, useDealerCode } from '../session';
import { Page } from '../ui/page';
import { ActionError, Query } from '../ui/states';
import { keys, type Dealer } from './api';
import { messages } from './messages';
import { useDealer } from './points';
import { duration } from './time';

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** A site given without a scheme still opens as a link. */
const href = (site: string) => (/^https?:\/\//i.test(site) ? site : `https://${site}`);

/** /dealer/profile: the dealer's record; the head edits its contacts, description and logo. */
export function ProfileScreen() {
  const t = useT(messages);
  const can = useCan();
  const dealer = useDealer();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const mayEdit = can('dealer.profile.edit');
  return (
    <Page
      title={t('profileTitle')}
      actions={
        mayEdit && !editing && dealer.data ? (
          <button
            type="button"
            onClick={() => {
              setSaved(false);
              setEditing(true);
            }}
          >
            {t('edit')}
          </button>
        ) : undefined
      }
    >
      {saved && (
        <p role="status" className="ok-note">
          {t('saved')}
        </p>
      )}
      <Query query={dealer}>
        {(d) =>
          editing ? (
            <ProfileForm
              dealer={d}
              onDone={(didSave) => {
                setEditing(false);
                setSaved(didSave);
              }}
            />
          ) : (
            <ProfileView dealer={d} mayEdit={mayEdit} />
          )
        }
      </Query>
    </Page>
  );
}

function ProfileView({ dealer, mayEdit }: { dealer: Dealer; mayEdit: boolean }) {
  const t = useT(messages);
  const f = useFormat();
  const { locale } = useLocale();
  const c = dealer.contacts;
  return (
    <>
      <div className="card dealer-profile">
        <div className="row">
          {dealer.logoUrl && <img src={dealer.logoUrl} alt={t('logo')} className="dealer-logo" />}
          <div>
            <h2 className="dealer-name">{dealer.name}</h2>
            <div className="muted mono">{dealer.code}</div>
          </div>
        </div>
        <dl className="facts">
          <dt>{t('mainRegion')}</dt>
          <dd>{dealer.mainRegion.name}</dd>
          {dealer.extraRegions.length > 0 && (
            <>
              <dt>{t('extraRegions')}</dt>
              <dd>{dealer.extraRegions.map((r) => r.name).join(', ')}</dd>
            </>
          )}
          <dt>{t('phones')}</dt>
          <dd>{c.phones?.length ? c.phones.map((p, i) => <div key={i}><a href={`tel:${p.replace(/[^\d+]/g, '')}`}>{p}</a></div>) : '—'}</dd>
          <dt>{t('emails')}</dt>
          <dd>{c.emails?.length ? c.emails.map((e, i) => <div key={i}><a href={`mailto:${e}`}>{e}</a></div>) : '—'}</dd>
          <dt>{t('site')}</dt>
          <dd>{c.site ? <a href={href(c.site)} rel="noopener noreferrer" target="_blank">{c.site}</a> : '—'}</dd>
          <dt>{t('address')}</dt>
          <dd>{c.address || '—'}</dd>
          <dt>{t('description')}</dt>
          <dd className="pre">{dealer.description || '—'}</dd>
          <dt>{t('authorised')}</dt>
          <dd>{t(dealer.authorised ? 'yes' : 'no')}</dd>
          <dt>{t('navPoints')}</dt>
          <dd>{f.number(dealer.points)}</dd>
          <dt>{t('takesCount')}</dt>
          <dd>{f.number(dealer.takesCount)}</dd>
          <dt>{t('avgTake')}</dt>
          <dd>{dealer.avgTakeSeconds === null ? '—' : duration(dealer.avgTakeSeconds * 1000, locale)}</dd>
          <dt>{t('registered')}</dt>
          <dd>{f.date(dealer.createdAt)}</dd>
        </dl>
      </div>
      {!mayEdit && <p className="muted">{t('readOnly')}</p>}
      <h2>{t('managers')}</h2>
      <ul className="plain">
        {dealer.managers.map((m) => (
          <li key={m.login}>
            {m.name} <span className="muted mono">{m.login}</span>
            {m.isHead && <span className="status ok">{t('head')}</span>}
            {!m.active && <span className="status bad">{t('blocked')}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

function ProfileForm({ dealer, onDone }: { dealer: Dealer; onDone: (saved: boolean) => void }) {
  const t = useT(messages);
  const code = useDealerCode();
  const client = useQueryClient();
  const [phones, setPhones] = useState((dealer.contacts.phones ?? []).join('\n'));
  const [emails, setEmails] = useState((dealer.contacts.emails ?? []).join('\n'));
  const [site, setSite] = useState(dealer.contacts.site ?? '');
  const [address, setAddress] = useState(dealer.contacts.address ?? '');
  const [description, setDescription] = useState(dealer.description ?? '');
  const [logoUrl, setLogoUrl] = useState(dealer.logoUrl ?? '');
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH('/v1/dealers/{code}', {
          params: { path: { code } },
          body: {
            contacts: { phones: lines(phones), emails: lines(emails), ...(site.trim() ? { site: site.trim() } : {}), ...(address.trim() ? { address: address.trim() } : {}) },
            description: description.trim() || null,
            logoUrl: logoUrl.trim() || null,
          },
        }),
      ),
    onSuccess: (data) => {
      client.setQueryData(keys.profile(code), data);
      onDone(true);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="form card" onSubmit={submit}>
      <label>
        {t('phones')} <span className="muted small">({t('onePerLine')})</span>
        <textarea value={phones} onChange={(e) => setPhones(e.target.value)} rows={3} inputMode="tel" />
      </label>
      <label>
        {t('emails')} <span className="muted small">({t('onePerLine')})</span>
        <textarea value={emails} onChange={(e) => setEmails(e.target.value)} rows={2} inputMode="email" />
      </label>
      <label>
        {t('site')}
        <input value={site} onChange={(e) => setSite(e.target.value)} inputMode="url" />
      </label>
      <label>
        {t('address')}
        <input value={address} onChange={(e) => setAddress(e.target.value)} />
      </label>
      <label>
        {t('description')}
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={5} />
      </label>
      <label>
        {t('logoUrl')}
        <input value={logoUrl} onChange={(e) => setLogoUrl(e.target.value)} inputMode="url" />
      </label>
      <ActionError error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending}>
          {t('save')}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t('cancelEdit')}
        </button>
      </div>
    </form>
  );
}
