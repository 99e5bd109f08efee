// A real OpenID Connect provider (panva/oidc-provider) for madoguchi's tests, shaped like the Digital Agency's
// デジタル認証アプリ: authorization-code flow only, PKCE S256 required, client authentication `private_key_jwt`,
// and the basic four items (基本4情報) as claims of the scopes `name address birthdate gender`.
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_JWKS (the client's public keys as a JWK Set, JSON),
// OIDC_REDIRECT_URI. Listens on 127.0.0.1 (PORT, default any free port) and prints
// `oidc-provider listening http://127.0.0.1:PORT` once ready.
//
// Sign-in is a test form: GET /interaction/:uid shows it, POST /interaction/:uid/login with `login=<account>`
// finishes it (accounts: taro, hanako). Consent is granted for the registered client (first-party).
import http from 'node:http';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  taro: {
    name: '高知 太郎',
    address: { formatted: '高知県高知市丸ノ内一丁目2番20号', postal_code: '7808570', region: '高知県', locality: '高知市' },
    birthdate: '1980-04-01',
    gender: 'male',
  },
  hanako: {
    name: '髙﨑 花子',
    address: { formatted: '高知県南国市大そね甲2301番地', postal_code: '7838501', region: '高知県', locality: '南国市' },
    birthdate: '1992-11-23',
    gender: 'female',
  },
};
const SCOPES = 'openid name address birthdate gender';

const clientId = process.env.OIDC_CLIENT_ID || 'madoguchi';
const jwks = JSON.parse(process.env.OIDC_CLIENT_JWKS || '{"keys":[]}');
const redirectUri = process.env.OIDC_REDIRECT_URI || 'http://127.0.0.1:8080/mypage/oidc/callback';

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks,
  }],
  scopes: SCOPES.split(' '),
  claims: { openid: ['sub'], name: ['name'], address: ['address'], birthdate: ['birthdate'], gender: ['gender'] },
  async findAccount(_ctx, id) {
    if (!ACCOUNTS[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...ACCOUNTS[id] }) };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  cookies: { keys: ['madoguchi-test-only'] },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const callback = provider.callback();

server.on('request', async (req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!m) return callback(req, res);
  try {
    if (req.method === 'GET' && !m[2]) {
      const { uid } = await provider.interactionDetails(req, res);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="ja"><title>テスト用認証</title><form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">利用者</label><input id="login" name="login" value="taro"><button type="submit">ログイン</button></form></html>`);
      return;
    }
    if (req.method === 'POST' && m[2]) {
      let body = '';
      for await (const chunk of req) body += chunk;
      const login = new URLSearchParams(body).get('login') || '';
      const result = ACCOUNTS[login] ? { login: { accountId: login } } : { error: 'access_denied' };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    res.statusCode = 404;
    res.end();
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});

console.log(`oidc-provider listening ${issuer}`);
