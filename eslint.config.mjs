// n8n's community-node rules, exactly as n8n's own scanner (and `n8n-node lint`) applies them:
// @n8n/eslint-plugin-community-nodes plus eslint-plugin-n8n-nodes-base's three rulesets.
import { buildScanConfig } from '@n8n/scan-community-package/scanner/scanner.mjs';

export default [
	{ ignores: ['dist/**', 'build/**', 'node_modules/**', 'node-red/**', 'sandbox/**', 'test/**', 'bench/**', 'scripts/**', 'core/**'] },
	...(await buildScanConfig()),
];
