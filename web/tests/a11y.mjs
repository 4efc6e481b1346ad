// An axe-core scan that fails on serious or critical violations, naming each one.
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';

export async function expectAccessible(page, label) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
  expect(summary, `axe violations in state "${label}"`).toEqual([]);
}
