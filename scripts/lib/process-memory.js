'use strict';
// Memory of whole process trees (a host's group and everything it started: n8n's task runner, Postgres' backends), sampled
// from /proc on Linux: the sum of RSS (what `ps` shows; shared pages count once per process) and of PSS (shared
// pages split between the processes sharing them: what the group really costs). Keeps the peak of the total and of
// each group. Elsewhere than Linux it records nothing.
//
//   const sampler = startMemorySampler();  sampler.add('main', () => proc.pgid);  …  sampler.figures();  sampler.stop();

const fs = require('node:fs');

const PAGE = 4096;

/**
 * Every process of a group and their descendants in other groups (Postgres' backends leave the postmaster's group
 * with setsid()), for each group asked for.
 * @param {number[]} pgids @returns {Map<number, number[]>} pgid → pids
 */
function processTrees(pgids) {
	/** @type {Map<number, number[]>} */
	const trees = new Map(pgids.map((g) => [g, []]));
	/** @type {Map<number, number[]>} */
	const children = new Map();
	/** @type {Array<[number, number]>} */
	const members = [];
	let entries = [];
	try {
		entries = fs.readdirSync('/proc');
	} catch {
		return trees;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			// pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so count from the last ')'.
			const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
			const pid = Number(entry);
			children.set(ppid, [...(children.get(ppid) ?? []), pid]);
			if (trees.has(pgrp)) members.push([pgrp, pid]);
		} catch {
			/* it exited meanwhile */
		}
	}
	for (const [pgrp, pid] of members) {
		const tree = /** @type {number[]} */ (trees.get(pgrp));
		const stack = [pid];
		while (stack.length > 0) {
			const p = /** @type {number} */ (stack.pop());
			if (tree.includes(p)) continue;
			tree.push(p);
			stack.push(...(children.get(p) ?? []));
		}
	}
	return trees;
}

/** @param {number} pid @returns {{ rss: number, pss: number }} bytes (0 when it is gone) */
function memoryOf(pid) {
	let rss = 0;
	let pss = 0;
	try {
		rss = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
		const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
		const m = /^Pss:\s+(\d+) kB/m.exec(rollup);
		pss = m ? Number(m[1]) * 1024 : rss;
	} catch {
		/* gone, or not ours to read */
	}
	return { rss, pss };
}

/**
 * @param {{ intervalMs?: number }} [opts]
 */
function startMemorySampler({ intervalMs = 1000 } = {}) {
	/** @type {Map<string, () => number | undefined>} */
	const sources = new Map();
	const peak = { rss: 0, pss: 0, at: 0, /** @type {Record<string, { rss: number, pss: number, processes: number }>} */ groups: {} };
	/** @type {Record<string, number>} */
	const groupPeakRss = {};
	let samples = 0;
	const sample = () => {
		const pgids = new Map([...sources].map(([name, pgidOf]) => [name, pgidOf()]));
		const groups = processTrees(/** @type {number[]} */ ([...pgids.values()].filter(Boolean)));
		let rss = 0;
		let pss = 0;
		/** @type {Record<string, { rss: number, pss: number, processes: number }>} */
		const now = {};
		for (const [name, pgid] of pgids) {
			if (!pgid) continue;
			const pids = groups.get(pgid) ?? [];
			const group = { rss: 0, pss: 0, processes: pids.length };
			for (const pid of pids) {
				const m = memoryOf(pid);
				group.rss += m.rss;
				group.pss += m.pss;
			}
			now[name] = group;
			rss += group.rss;
			pss += group.pss;
			groupPeakRss[name] = Math.max(groupPeakRss[name] ?? 0, group.rss);
		}
		samples++;
		if (rss > peak.rss) Object.assign(peak, { rss, pss, at: Date.now(), groups: now });
	};
	const timer = setInterval(sample, intervalMs);
	timer.unref();
	const mib = (/** @type {number} */ b) => Math.round(b / 2 ** 20);
	return {
		/** Watches the process group `pgidOf()` returns (it may change: a restarted process) under `name`. */
		add(/** @type {string} */ name, /** @type {() => number | undefined} */ pgidOf) {
			sources.set(name, pgidOf);
		},
		sample,
		/** Peak of the sum over all groups (RSS and, at that moment, PSS), and each group's own peak RSS, in MiB. */
		figures() {
			sample();
			return {
				samples,
				peakRssMiB: mib(peak.rss),
				peakPssMiB: mib(peak.pss),
				peakAt: peak.at ? new Date(peak.at).toISOString() : null,
				atPeakMiB: Object.fromEntries(Object.entries(peak.groups).map(([k, v]) => [k, { rss: mib(v.rss), pss: mib(v.pss), processes: v.processes }])),
				groupPeakRssMiB: Object.fromEntries(Object.entries(groupPeakRss).map(([k, v]) => [k, mib(v)])),
			};
		},
		stop: () => clearInterval(timer),
	};
}

module.exports = { startMemorySampler, processTrees, memoryOf };
