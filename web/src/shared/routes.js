// Route matching, shared by the fan page and the console: a table of `{name, path}`
// where a path's `:param` parts match one segment (or the pattern given for it).
// Pure (no DOM), so the tables are unit-tested.

/**
 * Compiles a route table into `match(pathname)` answering `{name, params}`, or
 * `{name: fallback, params: {}}` when nothing matches. Trailing slashes are ignored;
 * parameters are URL-decoded, then passed through the route's `parse` if it has one.
 * @param {{name: string, path: string, params?: Record<string, string>, parse?: (params: object) => object}[]} table
 * @param {string} fallback
 */
export function compileRoutes(table, fallback = 'notFound') {
  const compiled = table.map((route) => {
    const names = [];
    const source = route.path
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const name = part.slice(1);
        names.push(name);
        return `(${route.params?.[name] ?? '[^/]+'})`;
      })
      .join('/');
    return { route, names, re: new RegExp(`^${source}$`) };
  });
  return function match(pathname) {
    const path = pathname.replace(/\/+$/, '') || '/';
    for (const { route, names, re } of compiled) {
      const m = re.exec(path);
      if (!m) continue;
      let params;
      try {
        params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      } catch {
        continue; // a malformed escape is no route
      }
      return { name: route.name, params: route.parse ? route.parse(params) : params };
    }
    return { name: fallback, params: {} };
  };
}
