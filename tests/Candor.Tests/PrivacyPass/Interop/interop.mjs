// Interoperability of Candor's Privacy Pass with Cloudflare's independent implementation
// (@cloudflare/privacypass-ts, type 0x0002 publicly verifiable tokens), run by PrivacyPassInteropTests.
//   node interop.mjs <collector base URL> <app> <base64url of a token Candor's own client finalized>
// 1. A report post without a token: the collector's 401 WWW-Authenticate is parsed by privacypass-ts.
// 2. privacypass-ts builds a token request for that challenge and key; Candor's issuer signs it.
// 3. privacypass-ts finalizes (it verifies the issuer's signature) and posts a report with the token.
// 4. privacypass-ts verifies a token Candor's client made, with the key from Candor's issuer directory.
// Prints one JSON object; exits 0 even when a check fails (the test asserts on the JSON).
import { WWWAuthenticateHeader, AuthorizationHeader, Token, TOKEN_TYPES, publicVerif } from '@cloudflare/privacypass-ts';

const [base, app, candorToken] = process.argv.slice(2);
const b64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
const result = {};
try {
  const batch = JSON.stringify({ schema: 1, period: '2026-W47', reports: [{ metric: 'system.os', value: 'linux' }] });
  const post = (headers) => fetch(`${base}/v1/apps/${app}/reports`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: batch });

  const refused = await post({});
  result.without_token_status = refused.status;
  const [www] = WWWAuthenticateHeader.parse(refused.headers.get('www-authenticate'));
  result.challenge_issuer = www.challenge.issuerName;

  const directory = await (await fetch(`${base}/.well-known/private-token-issuer-directory`)).json();
  const requestUri = new URL(directory['issuer-request-uri'], base);
  result.directory_key_matches_challenge_key = directory['token-keys'][0]['token-key'].replace(/=+$/, '') === Buffer.from(www.tokenKey).toString('base64url');

  const client = new publicVerif.Client(publicVerif.BlindRSAMode.PSS);
  const request = await client.createTokenRequest(www.challenge, www.tokenKey);
  const issued = await fetch(requestUri, { method: 'POST', headers: { 'content-type': 'application/private-token-request' }, body: request.serialize() });
  result.issuance_status = issued.status;
  const token = await client.finalize(client.deserializeTokenResponse(new Uint8Array(await issued.arrayBuffer())));
  result.finalized = true;

  const accepted = await post({ authorization: new AuthorizationHeader(token).toString(true) });
  result.with_token_status = accepted.status;
  const again = await post({ authorization: new AuthorizationHeader(token).toString(true) });
  result.same_token_again_status = again.status;

  const spki = publicVerif.convertRSASSAPSSToEnc(b64u(directory['token-keys'][0]['token-key']));
  const key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
  const origin = new publicVerif.Origin(publicVerif.BlindRSAMode.PSS);
  const candor = Token.deserialize(TOKEN_TYPES.BLIND_RSA, b64u(candorToken));
  result.candor_token_verifies = await origin.verify(candor, key);
  const damaged = b64u(candorToken); damaged[damaged.length - 1] ^= 1;
  result.damaged_candor_token_verifies = await origin.verify(Token.deserialize(TOKEN_TYPES.BLIND_RSA, damaged), key);
} catch (e) {
  result.error = String(e && e.stack || e);
}
console.log(JSON.stringify(result));
