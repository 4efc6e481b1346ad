// An in-browser stand-in for the presale API (docs/ARCHITECTURE.md, "Presales with
// access codes"), for servers built without it: the specs use it only when the real
// server answers 404 to the presale endpoints. Everything else goes to the server.
const json = (route, status, body, headers = {}) =>
  route.fulfill({ status, contentType: 'application/json', headers, body: body === null ? '' : JSON.stringify(body) });
const fail = (route, status, code, message, headers) => json(route, status, { error: { code, message } }, headers);

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const norm = (c) => String(c).toUpperCase().replace(/[\s-]/g, '');
const shown = (raw) => `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;

/** Serves the presale endpoints of `eventId` from memory in `context`. */
export async function mockPresale(context, eventId) {
  const groups = [];
  const codes = [];
  let fails = 0;
  const groupView = (g) => ({
    ...g,
    codes: codes.filter((c) => c.group === g.id).length,
    codes_used: codes.filter((c) => c.group === g.id && c.uses > 0).length,
    fans: codes.filter((c) => c.group === g.id).reduce((n, c) => n + c.users.length, 0),
  });
  await context.route(`**/api/v1/events/${eventId}`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.presales = groups.map((g) => ({ name: g.name, opens_at: g.opens_at, shuffle_commitment: 'c'.repeat(64) }));
    await json(route, res.status(), body);
  });
  await context.route(`**/api/v1/events/${eventId}/presale/redeem`, async (route) => {
    const { code } = route.request().postDataJSON();
    if (fails >= 3) return fail(route, 429, 'too_many_code_attempts', 'too many wrong codes', { 'retry-after': '540' });
    const c = codes.find((x) => norm(x.code) === norm(code) && !x.revoked);
    if (!c) {
      fails += 1;
      return fail(route, 404, 'code_unknown', 'no such code');
    }
    if (c.uses >= c.max_uses) return fail(route, 409, 'code_used_up', 'used up');
    c.uses += 1;
    c.users.push('fan');
    c.first_email ??= 'fan@floodgate.test';
    c.first_used_at ??= new Date().toISOString();
    const g = groups.find((x) => x.id === c.group);
    return json(route, 200, { group: { name: g.name, opens_at: g.opens_at } });
  });
  await context.route(new RegExp(`/api/v1/admin/events/${eventId}/presale(/.*)?(\\?.*)?$`), async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const rest = url.pathname.split('/presale')[1] ?? '';
    const m = req.method();
    if (rest === '' && m === 'GET') return json(route, 200, { groups: groups.map(groupView) });
    if (rest === '/groups' && m === 'POST') {
      const b = req.postDataJSON();
      if (groups.length >= 8) return fail(route, 409, 'presale_groups_full', 'full');
      const g = { id: crypto.randomUUID(), slot: groups.length + 1, name: b.name, opens_at: b.opens_at };
      groups.push(g);
      return json(route, 201, groupView(g));
    }
    let mm = /^\/groups\/([^/]+)$/.exec(rest);
    if (mm) {
      const g = groups.find((x) => x.id === mm[1]);
      if (m === 'PATCH') {
        Object.assign(g, req.postDataJSON());
        return json(route, 200, groupView(g));
      }
      if (codes.some((c) => c.group === g.id && c.uses > 0)) return fail(route, 409, 'presale_group_in_use', 'in use');
      groups.splice(groups.indexOf(g), 1);
      return json(route, 204, null);
    }
    mm = /^\/groups\/([^/]+)\/codes$/.exec(rest);
    if (mm) {
      const { count, max_uses } = req.postDataJSON();
      const made = [];
      for (let i = 0; i < count; i++) {
        let raw = '';
        for (let j = 0; j < 10; j++) raw += ALPHABET[Math.floor(Math.random() * 32)];
        made.push(shown(raw));
        codes.push({ code: shown(raw), group: mm[1], max_uses, uses: 0, revoked: false, first_email: null, first_used_at: null, users: [] });
      }
      return json(route, 201, { codes: made });
    }
    mm = /^\/groups\/([^/]+)\/codes\/upload$/.exec(rest);
    if (mm) {
      let added = 0;
      let duplicates = 0;
      const lines = (req.postData() ?? '').split(/\r?\n/).filter((l) => l.trim());
      for (const [i, line] of lines.entries()) {
        const [code, uses = '1'] = line.split(',');
        if (i === 0 && code.trim() === 'code') continue;
        if (!/^\d+$/.test(uses.trim())) return fail(route, 400, 'invalid_csv', `line ${i + 1}: max_uses is not a number`);
        if (codes.some((c) => norm(c.code) === norm(code))) duplicates += 1;
        else {
          added += 1;
          codes.push({ code: code.trim(), group: mm[1], max_uses: Number(uses), uses: 0, revoked: false, first_email: null, first_used_at: null, users: [] });
        }
      }
      return json(route, 200, { added, duplicates });
    }
    if (rest === '/codes' && m === 'GET') {
      const group = url.searchParams.get('group');
      const after = url.searchParams.get('after');
      const limit = Number(url.searchParams.get('limit') || 50);
      const all = codes.filter((c) => c.group === group).sort((a, b) => a.code.localeCompare(b.code));
      const from = after ? all.findIndex((c) => c.code === after) + 1 : 0;
      const page = all.slice(from, from + limit);
      const next = from + limit < all.length ? page[page.length - 1].code : null;
      return json(route, 200, { codes: page.map(({ users, ...c }) => c), next_after: next });
    }
    mm = /^\/codes\/([^/]+)$/.exec(rest);
    if (mm && m === 'DELETE') {
      const c = codes.find((x) => x.code === decodeURIComponent(mm[1]));
      c.revoked = true;
      return json(route, 204, null);
    }
    return fail(route, 404, 'not_found', 'mock: no such presale endpoint');
  });
  return { groups, codes };
}

/** Whether `fg` serves the presale API (else the specs use the mock above). */
export async function hasPresaleApi(fg, eventId) {
  const res = await fetch(`${fg.url}/api/v1/admin/events/${eventId}/presale`, { headers: { authorization: `Bearer ${await fg.admin()}` } });
  return res.status !== 404;
}
