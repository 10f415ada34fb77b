// What a receiver should make of a sandbox scenario, computed from the script alone (the sandbox's
// windows and their `event` flag), independently of the core: the episodes of "the event holds"
// with a debounce (start after N windows in a row), an end (after M failing windows in a row,
// dated at the first of them) and a cooldown (no start within C windows after an end).
import type { Scenario } from '../../../sandbox/src';

export interface ExpectedEpisode {
	/** Frame (1-based) of the first window of the run that started it. */
	startFrame: number;
	/** Frame of the first failing window of the run that ended it; null: still going at `frames`. */
	endFrame: number | null;
}

export function expectedEpisodes(
	script: Scenario,
	frames: number,
	options: { startAfter: number; endAfter: number; cooldownWindows: number },
): ExpectedEpisode[] {
	const episodes: ExpectedEpisode[] = [];
	let run = 0;
	let runStart = 0;
	let misses = 0;
	let missStart = 0;
	let active: ExpectedEpisode | null = null;
	let cooldownUntil = -Infinity;
	for (let frame = 1; frame <= frames; frame++) {
		const event = script.windows[(frame - 1) % script.cycle].event;
		if (active) {
			if (event) misses = 0;
			else {
				if (misses === 0) missStart = frame;
				if (++misses >= options.endAfter) {
					active.endFrame = missStart;
					cooldownUntil = missStart + options.cooldownWindows;
					active = null;
					run = 0;
				}
			}
			continue;
		}
		if (!event || frame < cooldownUntil) {
			run = 0;
			continue;
		}
		if (run++ === 0) runStart = frame;
		if (run >= options.startAfter) {
			active = { startFrame: runStart, endFrame: null };
			episodes.push(active);
			misses = 0;
		}
	}
	return episodes;
}
