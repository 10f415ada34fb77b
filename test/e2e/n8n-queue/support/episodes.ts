// Episodes as a receiver should make them of a sandbox scenario, for the frame windows one memory saw: all of a
// stream's (one process, or the path pinned to one webhook processor), or only those a processor got (round-robin).
import type { Scenario } from '../../../../sandbox/src';
import { scenarioWindow } from '../../../../sandbox/src';
import { expectedEpisodes } from '../../support/episodes';

export interface EpisodeCounts {
	started: number;
	ended: number;
}

/** Started and ended (condition cleared) episodes of `frames`, seen in this order by one episode machine. */
export function episodesSeen(script: Scenario, frames: number[], options: { startAfter: number; endAfter: number }): EpisodeCounts {
	// The frames one machine saw, as a script of their own: the reference counts windows, not time.
	const seen = { ...script, windows: frames.map((f) => scenarioWindow(script, f)), cycle: frames.length };
	const episodes = expectedEpisodes(seen, frames.length, { ...options, cooldownWindows: 0 });
	return { started: episodes.length, ended: episodes.filter((e) => e.endFrame !== null).length };
}
