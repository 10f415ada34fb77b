'use strict';
// `npm test` runs the fast projects; the real-host projects run through scripts/e2e.js.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] };
const project = (name, testMatch, extra = {}) => ({
	displayName: name,
	testEnvironment: 'node',
	transform,
	testMatch,
	...extra,
});

module.exports = {
	projects: [
		project('core', ['<rootDir>/test/core/**/*.test.ts']),
		project('sandbox', ['<rootDir>/test/sandbox/**/*.test.ts']),
		project('n8n', ['<rootDir>/test/n8n/**/*.test.ts']),
		project('node-red', ['<rootDir>/test/node-red/**/*.test.ts']),
		project('harness', ['<rootDir>/scripts/lib/**/*.test.js']),
		project('e2e-n8n', ['<rootDir>/test/e2e/n8n/**/*.test.ts']),
		project('e2e-n8n-queue', ['<rootDir>/test/e2e/n8n-queue/**/*.test.ts']),
		project('e2e-node-red', ['<rootDir>/test/e2e/node-red/**/*.test.ts']),
		project('reliability', ['<rootDir>/test/reliability/**/*.test.ts']),
	],
};
