// n8n's community-node rules, exactly as n8n's own scanner (and `n8n-node lint`) applies them:
// @n8n/eslint-plugin-community-nodes plus eslint-plugin-n8n-nodes-base's three rulesets; then the rules n8n is
// adding to that plugin but has not published yet (scripts/lint/community-node-rules.mjs), all as errors.
import { buildScanConfig } from '@n8n/scan-community-package/scanner/scanner.mjs';

import { config as upcomingRules } from './scripts/lint/community-node-rules.mjs';

export default [
	{ ignores: ['dist/**', 'build/**', 'node_modules/**', 'node-red/**', 'sandbox/**', 'test/**', 'bench/**', 'scripts/**', 'core/**'] },
	...(await buildScanConfig()),
	...upcomingRules,
	// A dark-theme icon variant is required, not only suggested.
	{ files: ['**/*.node.ts', '**/*.credentials.ts'], rules: { '@n8n/community-nodes/icon-prefer-themed-variants': 'error' } },
];
