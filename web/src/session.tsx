import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { api, ApiError, ok, setCsrfToken, whenSignedOut } from './api/client';
import type { paths } from './api/schema';

export type Me = paths['/v1/auth/me']['get']['responses'][200]['content']['application/json'];

const SessionContext = createContext<Me | null>(null);
export const ME_KEY = ['me'] as const;

/** Who is signed in (GET /v1/auth/me), or null: the login screen. */
export function useMeQuery() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async () => {
      try {
        const me = await ok(api.GET('/v1/auth/me'));
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: Infinity,
    retry: false,
  });
}

export function SessionProvider({ me, children }: { me: Me; children: ReactNode }) {
  const client = useQueryClient();
  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      client.setQueryData(ME_KEY, null);
    });
  }, [client]);
  return <SessionContext.Provider value={me}>{children}</SessionContext.Provider>;
}

/** The signed-in user; screens are rendered only inside a session. */
export function useMe(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error('useMe outside a session');
  return me;
}

export function useCan(): (permission: string) => boolean {
  const me = useMe();
  return (permission) => me.permissions.includes(permission);
}

/** The dealer's code of a dealer's user (its cabinet's URLs name it). */
export function useDealerCode(): string {
  const me = useMe();
  if (!me.dealer) throw new Error('not a dealer user');
  return me.dealer.code;
}
