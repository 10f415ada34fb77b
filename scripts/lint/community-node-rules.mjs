// Community-node rules n8n is adding to @n8n/eslint-plugin-community-nodes but has not published yet (0.32.0, the
// newest on the registry, has none of them), written here under the same names so that `npm run lint` enforces
// them now; drop each once the published plugin has it:
//   no-ai-codex-category    n8n's node panel special-cases the "AI" codex category: without the Root Nodes
//                           subcategory such a node is left out of the main search (what hid our nodes in 2.40)
//   no-codex-subcategories  subcategories only mean something to n8n's own panel grouping
//   community-package-json  the package.json fields n8n requires, license "MIT" among them
//   no-monorepo             repository.directory (a package inside a monorepo) is rejected by n8n's scanner
//   icon-contrast           an SVG icon must be readable on the light and on the dark node background
//   options-sorted-alphabetically  an options parameter lists its options sorted by name
import fs from 'node:fs';
import path from 'node:path';

// ---- small AST helpers (TSESTree, as @typescript-eslint/parser produces for .ts and .json files) -------------

const keyName = (property) =>
	property.type === 'Property' ? (property.key.type === 'Identifier' ? property.key.name : property.key.type === 'Literal' ? String(property.key.value) : undefined) : undefined;
const find = (object, name) => object?.type === 'ObjectExpression' ? object.properties.find((p) => keyName(p) === name) : undefined;
const stringOf = (node) => (node?.type === 'Literal' && typeof node.value === 'string' ? node.value : node?.type === 'TemplateLiteral' && node.expressions.length === 0 ? node.quasis[0].value.cooked : undefined);
/** The top-level object of a JSON file (parsed as an expression statement). */
const jsonRoot = (node) => node.type === 'ObjectExpression' && node.parent?.type === 'ExpressionStatement' && node.parent.parent?.type === 'Program';
/** The `description = { … }` object of a node class. */
function nodeDescription(classNode) {
	const member = classNode.body.body.find((m) => m.type === 'PropertyDefinition' && m.key.type === 'Identifier' && m.key.name === 'description');
	return member?.value?.type === 'ObjectExpression' ? member.value : undefined;
}
const isNodeClass = (classNode) => classNode.implements?.some((i) => i.expression.type === 'Identifier' && i.expression.name === 'INodeType');
const importsAiSdk = (source) => /from\s+['"](@n8n\/)?ai-node-sdk['"]/.test(source);

/** Visits every codex object: the root of a .node.json (unless its .node.ts has an inline codex or uses the AI SDK), or `codex: {…}` in a .node.ts. */
function codexVisitor(context, check) {
	const file = context.filename;
	if (file.endsWith('.node.json')) {
		const sibling = file.replace(/\.node\.json$/, '.node.ts');
		const siblingSource = fs.existsSync(sibling) ? fs.readFileSync(sibling, 'utf8') : '';
		if (/\bcodex\s*:/.test(siblingSource) || importsAiSdk(siblingSource)) return {};
		return { ObjectExpression: (node) => jsonRoot(node) && check(node) };
	}
	if (!file.endsWith('.node.ts') || importsAiSdk(context.sourceCode.text)) return {};
	return { Property: (node) => keyName(node) === 'codex' && node.value.type === 'ObjectExpression' && check(node.value) };
}

const rule = (description, messages, create) => ({ meta: { type: 'problem', docs: { description }, messages, schema: [] }, create });

const noAiCodexCategory = rule(
	'Disallow the reserved "AI" codex category in nodes not built with @n8n/ai-node-sdk',
	{ ai: 'The "AI" codex category is reserved for n8n\'s AI nodes: n8n\'s node panel leaves such a node out of its main search unless its subcategories say "Root Nodes". Remove "AI" from categories.' },
	(context) =>
		codexVisitor(context, (codex) => {
			const categories = find(codex, 'categories')?.value;
			for (const element of categories?.type === 'ArrayExpression' ? categories.elements : []) {
				if (stringOf(element) === 'AI') context.report({ node: element, messageId: 'ai' });
			}
		}),
);

const noCodexSubcategories = rule(
	'Disallow codex.subcategories in nodes not built with @n8n/ai-node-sdk',
	{ sub: 'codex.subcategories only steer n8n\'s own node-panel grouping; a value it does not expect misplaces the node silently. Remove it.' },
	(context) =>
		codexVisitor(context, (codex) => {
			const sub = find(codex, 'subcategories');
			if (sub) context.report({ node: sub, messageId: 'sub' });
		}),
);

const packageJsonOnly = (context, visit) => (path.basename(context.filename) === 'package.json' ? { ObjectExpression: (node) => jsonRoot(node) && visit(node) } : {});

const communityPackageJson = rule(
	'Require the package.json fields of an n8n community package',
	{
		missing: 'package.json must have "{{field}}".',
		empty: 'package.json "{{field}}" must not be empty.',
		license: 'package.json "license" must be "MIT" for an n8n community package.',
		apiVersion: 'package.json "n8n.n8nNodesApiVersion" must be a number.',
		nodes: 'package.json "n8n.nodes" must list at least one node file.',
	},
	(context) =>
		packageJsonOnly(context, (pkg) => {
			for (const field of ['name', 'version', 'description', 'license', 'author', 'n8n']) {
				const property = find(pkg, field);
				if (!property) context.report({ node: pkg, messageId: 'missing', data: { field } });
				else if (stringOf(property.value) === '') context.report({ node: property, messageId: 'empty', data: { field } });
			}
			const license = find(pkg, 'license');
			if (license && stringOf(license.value) !== 'MIT') context.report({ node: license, messageId: 'license' });
			const author = find(pkg, 'author')?.value;
			if (author?.type === 'ObjectExpression' && !stringOf(find(author, 'name')?.value)) context.report({ node: author, messageId: 'missing', data: { field: 'author.name' } });
			const n8n = find(pkg, 'n8n')?.value;
			if (n8n?.type !== 'ObjectExpression') return;
			const apiVersion = find(n8n, 'n8nNodesApiVersion');
			if (!apiVersion || apiVersion.value.type !== 'Literal' || typeof apiVersion.value.value !== 'number') context.report({ node: apiVersion ?? n8n, messageId: 'apiVersion' });
			const nodes = find(n8n, 'nodes')?.value;
			if (nodes?.type !== 'ArrayExpression' || nodes.elements.length === 0) context.report({ node: nodes ?? n8n, messageId: 'nodes' });
		}),
);

const noMonorepo = rule(
	'Require a single-package repository (no repository.directory)',
	{ monorepo: 'n8n rejects community packages from a monorepo: remove "repository.directory" (the package must be the repository\'s root).' },
	(context) =>
		packageJsonOnly(context, (pkg) => {
			const directory = find(find(pkg, 'repository')?.value, 'directory');
			if (directory && !/^\.?\/?$/.test(stringOf(directory.value) ?? 'x')) context.report({ node: directory, messageId: 'monorepo' });
		}),
);

// ---- icon contrast -----------------------------------------------------------------------------------------

const NAMED = { black: '#000000', white: '#ffffff', red: '#ff0000', green: '#008000', blue: '#0000ff', gray: '#808080', grey: '#808080' };
/** @returns {{ r: number, g: number, b: number, a: number } | undefined} channels 0..1 */
function parseColor(value) {
	let v = value.trim().toLowerCase();
	if (v === 'none' || v === 'transparent' || v.startsWith('url(')) return undefined;
	if (v === 'currentcolor') v = '#000000';
	v = NAMED[v] ?? v;
	let m = /^#([0-9a-f]{3,8})$/.exec(v);
	if (m) {
		let hex = m[1];
		if (hex.length <= 4) hex = [...hex].map((c) => c + c).join('');
		const n = (i) => parseInt(hex.slice(i, i + 2), 16) / 255;
		return { r: n(0), g: n(2), b: n(4), a: hex.length === 8 ? n(6) : 1 };
	}
	m = /^rgba?\(([^)]+)\)$/.exec(v);
	if (m) {
		const [r, g, b, a = '1'] = m[1].split(/[\s,/]+/).filter(Boolean);
		const channel = (x) => (x.endsWith('%') ? parseFloat(x) / 100 : parseFloat(x) / 255);
		return { r: channel(r), g: channel(g), b: channel(b), a: a.endsWith('%') ? parseFloat(a) / 100 : parseFloat(a) };
	}
	return undefined;
}
const luminance = ({ r, g, b }) => {
	const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
	return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};
/** WCAG contrast of a paint (alpha-blended) on a background. */
function contrast(paint, background) {
	const mix = (k) => paint[k] * paint.a + background[k] * (1 - paint.a);
	const a = luminance({ r: mix('r'), g: mix('g'), b: mix('b') });
	const b = luminance(background);
	return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
const BACKGROUNDS = { light: { r: 1, g: 1, b: 1 }, dark: { r: 43 / 255, g: 43 / 255, b: 43 / 255 } };
const MINIMUM = 1.5;

/** The paints of an SVG (fill, stroke, stop-color in attributes and styles; black where no fill is set). */
function svgPaints(svg) {
	const paints = [];
	for (const m of svg.matchAll(/\b(fill|stroke|stop-color)\s*=\s*"([^"]*)"/gi)) paints.push(m[2]);
	for (const m of svg.matchAll(/(?:^|[;{"\s])(fill|stroke|stop-color)\s*:\s*([^;}"]+)/gi)) paints.push(m[2]);
	const colors = paints.map(parseColor).filter(Boolean);
	if (!/\bfill\s*[=:]/i.test(svg)) colors.push({ r: 0, g: 0, b: 0, a: 1 });
	return colors;
}

const iconContrast = rule(
	'Require SVG icons that stay readable on the light and the dark node background (and a dark variant)',
	{
		low: 'Icon {{file}} has at most {{ratio}}:1 contrast on the {{theme}} theme (minimum {{minimum}}:1): give it a {{theme}} variant or stronger colours.',
		noDark: 'Give the icon a dark-theme variant: icon: { light: "file:….svg", dark: "file:….dark.svg" }.',
	},
	(context) => {
		const file = context.filename;
		if (!file.endsWith('.node.ts') && !file.endsWith('.credentials.ts')) return {};
		const check = (valueNode, theme) => {
			const iconPath = stringOf(valueNode);
			if (!iconPath?.startsWith('file:') || !iconPath.toLowerCase().endsWith('.svg')) return;
			const full = path.join(path.dirname(file), iconPath.slice(5));
			if (!fs.existsSync(full)) return;
			const colors = svgPaints(fs.readFileSync(full, 'utf8'));
			if (colors.length === 0) return;
			const best = Math.max(...colors.map((c) => contrast(c, BACKGROUNDS[theme])));
			if (best < MINIMUM) context.report({ node: valueNode, messageId: 'low', data: { file: iconPath.slice(5), ratio: best.toFixed(2), theme, minimum: String(MINIMUM) } });
		};
		const checkIcon = (icon) => {
			if (icon.type === 'ObjectExpression') {
				for (const theme of ['light', 'dark']) {
					const variant = find(icon, theme);
					if (variant) check(variant.value, theme);
				}
				if (!find(icon, 'dark')) context.report({ node: icon, messageId: 'noDark' });
			} else if (stringOf(icon)?.startsWith('file:')) {
				check(icon, 'light');
				check(icon, 'dark');
				context.report({ node: icon, messageId: 'noDark' });
			}
		};
		return {
			ClassDeclaration(node) {
				const description = nodeDescription(node);
				const icon = description ? find(description, 'icon') : undefined;
				if (icon) return checkIcon(icon.value);
				const member = node.body.body.find((m) => m.type === 'PropertyDefinition' && m.key.type === 'Identifier' && m.key.name === 'icon');
				if (member?.value) checkIcon(member.value);
			},
		};
	},
);

const optionsSorted = rule(
	'Require the options of an options parameter sorted by name',
	{ unsorted: 'The options of "{{parameter}}" are not sorted by name. Expected: {{expected}}.' },
	(context) => {
		if (!context.filename.endsWith('.node.ts')) return {};
		const checkProperties = (array) => {
			for (const element of array?.type === 'ArrayExpression' ? array.elements : []) {
				if (element?.type !== 'ObjectExpression' || stringOf(find(element, 'type')?.value) !== 'options') continue;
				const options = find(element, 'options')?.value;
				if (options?.type !== 'ArrayExpression') continue;
				const names = options.elements.map((o) => (o?.type === 'ObjectExpression' ? stringOf(find(o, 'name')?.value) : undefined));
				if (names.length < 2 || names.some((n) => n === undefined)) continue;
				const sorted = [...names].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
				if (names.some((n, i) => n !== sorted[i])) {
					context.report({ node: options, messageId: 'unsorted', data: { parameter: stringOf(find(element, 'displayName')?.value) ?? '?', expected: sorted.join(', ') } });
				}
			}
		};
		return {
			ClassDeclaration(node) {
				if (!isNodeClass(node)) return;
				checkProperties(find(nodeDescription(node), 'properties')?.value);
			},
		};
	},
);

export const rules = {
	'no-ai-codex-category': noAiCodexCategory,
	'no-codex-subcategories': noCodexSubcategories,
	'community-package-json': communityPackageJson,
	'no-monorepo': noMonorepo,
	'icon-contrast': iconContrast,
	'options-sorted-alphabetically': optionsSorted,
};

/** Flat-config entries: the rules as errors, on the files n8n lints. */
export const config = [
	{
		files: ['**/package.json', '**/*.node.json', '**/*.node.ts', '**/*.credentials.ts'],
		plugins: { 'community-nodes-next': { rules } },
		rules: Object.fromEntries(Object.keys(rules).map((name) => [`community-nodes-next/${name}`, 'error'])),
	},
];
