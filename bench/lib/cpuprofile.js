'use strict';
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package,
// and total (inclusive) time of functions whose name or file matches a pattern.
//   node bench/lib/cpuprofile.js <file.cpuprofile> [top=25] [inclusive-pattern]
const fs = require('node:fs');

function summarise(file, top = 25, pattern) {
	const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
	const byId = new Map(prof.nodes.map((n) => [n.id, n]));
	const parent = new Map();
	for (const n of prof.nodes) for (const c of n.children || []) parent.set(c, n.id);
	const self = new Map();
	const dt = prof.timeDeltas;
	for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) || 0) + (dt[i] || 0));
	const total = [...self.values()].reduce((a, b) => a + b, 0);
	const fnKey = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`;
	const pkgKey = (n) => {
		const url = n.callFrame.url;
		if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
		const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
		if (m) return m[m.length - 1].replace('node_modules/', '');
		if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
		return url;
	};
	const agg = (keyOf) => {
		const out = new Map();
		for (const [id, t] of self) {
			const k = keyOf(byId.get(id));
			out.set(k, (out.get(k) || 0) + t);
		}
		return [...out].sort((a, b) => b[1] - a[1]);
	};
	const lines = [];
	const pct = (t) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
	lines.push(`total ${(total / 1000).toFixed(0)} ms sampled`);
	lines.push('-- self time by package --');
	for (const [k, t] of agg(pkgKey).slice(0, top)) lines.push(`${pct(t)}  ${k}`);
	lines.push('-- self time by function --');
	for (const [k, t] of agg(fnKey).slice(0, top)) lines.push(`${pct(t)}  ${k}`);
	if (pattern) {
		const re = new RegExp(pattern);
		const incl = new Map();
		for (const [id, t] of self) {
			const seen = new Set();
			for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
				const k = fnKey(byId.get(cur));
				if (!re.test(k) || seen.has(k)) continue;
				seen.add(k);
				incl.set(k, (incl.get(k) || 0) + t);
			}
		}
		lines.push(`-- inclusive time of /${pattern}/ --`);
		for (const [k, t] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(t)}  ${k}`);
	}
	return lines.join('\n');
}

if (require.main === module) {
	const [file, top, pattern] = process.argv.slice(2);
	console.log(summarise(file, Number(top) || 25, pattern));
}
module.exports = { summarise };
