/**
 * Authentication for the API: static bearer tokens, or JWTs checked against a configured issuer and a
 * local JWKS file (jose; no network fetch). Without auth configured every caller is "anonymous"
 * (the server then only listens on loopback).
 *
 * The decision is taken on the route the router matched, never on the raw URL: a path spelled with
 * percent-escapes ("/%61pi/v1/models") reaches the same route and needs the same token. Deny by
 * default: only routes registered with `config: { public: true }` (health, docs, the viewer's static
 * files) are open; everything else, `/dicom-web` and unmatched paths included, needs a credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { ConfigError, type Config } from '../../config';
import { ApiError } from '../errors';

/** Clock skew allowed on exp / nbf / iat. */
export const JWT_CLOCK_TOLERANCE_S = 30;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

type Verifier = (token: string) => Promise<string | undefined>;

function jwtVerifier(c: NonNullable<Config['auth']['jwt']>): Verifier {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(c.jwksFile, 'utf8')) as JSONWebKeySet;
  } catch {
    throw new ConfigError(`cannot read the JWKS file ${c.jwksFile}`);
  }
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ConfigError('the JWKS file holds no keys');
  const keys = createLocalJWKSet(jwks);
  return async (token) => {
    try {
      // A token without exp would be valid forever: require it.
      const { payload } = await jwtVerify(token, keys, {
        issuer: c.issuer,
        audience: c.audience,
        clockTolerance: JWT_CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : 'jwt-subject-unknown';
    } catch {
      return undefined;
    }
  };
}

/**
 * Marks every route registered from here on in `scope` as public. Call it inside an encapsulated
 * plugin (the viewer, the docs) so that only that plugin's routes are opened.
 */
export function markRoutesPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...(route.config as object | undefined), public: true };
  });
}

export const authPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const tokens = config.auth.tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
    const jwt = config.auth.jwt ? jwtVerifier(config.auth.jwt) : undefined;
    const enabled = tokens.length > 0 || jwt !== undefined;

    app.decorateRequest('user', undefined);
    app.decorateRequest('pacsAuthorization', undefined);

    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (!enabled) {
        request.user = { id: 'anonymous', method: 'none' };
        request.pacsAuthorization = header;
        return;
      }
      if (request.routeOptions.config?.public === true) return;
      const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
      if (!m) throw new ApiError(401, 'unauthorized', 'this API needs a bearer token');
      const token = m[1];
      const d = digest(token);
      const named = tokens.find((t) => timingSafeEqual(t.digest, d));
      if (named) {
        request.user = { id: named.name, method: 'token' };
        return; // our own token never goes to the PACS
      }
      const sub = jwt ? await jwt(token) : undefined;
      if (sub === undefined) throw new ApiError(401, 'unauthorized', 'the bearer token is not valid');
      request.user = { id: sub, method: 'jwt' };
      // The same identity provider usually fronts the PACS: pass the user's token on.
      request.pacsAuthorization = header;
    });
  },
  { name: 'slice-finder-auth', fastify: '5.x' },
);
