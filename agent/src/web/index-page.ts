/** The `/` page: what this is, and links. Static apart from the agent id and version. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function indexPage(agentId?: string, version?: string): string {
  const id = agentId ? ` <code>${escapeHtml(agentId)}</code>` : '';
  const v = version ? `<p>version ${escapeHtml(version)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgeprom agent</title></head>
<body>
<h1>edgeprom agent${id}</h1>
${v}<ul>
<li><a href="metrics">/metrics</a></li>
<li><a href="-/healthy">/-/healthy</a></li>
<li><a href="-/ready">/-/ready</a></li>
</ul>
</body></html>
`;
}
