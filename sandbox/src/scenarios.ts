// Scripted scenarios: what the camera "shows" in each frame window, chosen in the RTMP URL
// (`rtmp://cam.example/live/kitchen?scenario=boil`). A script is one cycle of windows that repeats
// for as long as the stream runs (add `&frames=N` to end the source), so everything a receiver
// does with it follows from the frame counter alone. Tests read the script (GET
// /_sandbox/scenarios or `scenario(name)`) and compute what they expect from it.

export type SceneState = 'calm' | 'boiling';

export interface ScenarioWindow {
	/** 1-based position in the cycle; frame window `f` of a stream shows window `(f - 1) % cycle + 1`. */
	window: number;
	state: SceneState;
	/** The scenario's event holds: boolean answer fields are true, the text names the event. */
	event: boolean;
	/** A single window unlike both of its neighbours: noise, not an occurrence of its own. */
	flicker: boolean;
	/** The real episode (1-based within the cycle) the window belongs to, flickers inside one included. */
	episode: number | null;
	/** The analysis text in text mode (and a JSON answer's string fields). */
	text: string;
	/** The answer variant placed on this window when the RTMP URL also says `&answer_faults=1` (JSON mode). */
	answerFault: string | null;
}

export interface Scenario {
	name: string;
	description: string;
	/** What the event is, in words. */
	event: string;
	/** Windows per cycle. */
	cycle: number;
	/** Scripts repeat from window 1 after the last one. */
	repeats: true;
	/** Real episodes in one cycle (flickers are not episodes; a flicker inside an episode does not split it). */
	episodesPerCycle: number;
	windows: ScenarioWindow[];
}

const CALM_TEXTS = [
	'A pan of water sits on the stove; the surface is still.',
	'A person chops vegetables next to the stove.',
	'Light steam rises from the pan; nothing spills.',
	'The kitchen is quiet; the lid rests on the pan.',
];
// Every event text says "boiling over"; no calm text contains "boil" (keyword filters can rely on it).
const BOILING_TEXTS = [
	'The pan is boiling over and foam spills onto the stove.',
	'Liquid is boiling over the rim of the pan onto the hob.',
	'The pan keeps boiling over; the stove top is wet.',
];
const CALM_FLICKER_TEXT = 'Steam hides the pan for a moment; no spill is visible.';
const BOILING_FLICKER_TEXT = 'For a moment the pan looks like it is boiling over, then it settles.';

interface Segment {
	state: SceneState;
	windows: number;
	/** Part of the episode around it (a calm flicker) or noise on its own (an event flicker). */
	flicker?: boolean;
}

interface ScriptSource {
	name: string;
	description: string;
	segments: Segment[];
	/** Window (1-based in the cycle) → answer variant, with `&answer_faults=1`. */
	answerFaults?: Record<number, string>;
}

function build(source: ScriptSource): Scenario {
	const windows: ScenarioWindow[] = [];
	let episode = 0;
	let inEpisode = false;
	for (const segment of source.segments) {
		const event = segment.state === 'boiling';
		if (event && !segment.flicker && !inEpisode) {
			episode++;
			inEpisode = true;
		}
		if (!event && !segment.flicker) inEpisode = false;
		for (let i = 0; i < segment.windows; i++) {
			const window = windows.length + 1;
			const texts = event ? BOILING_TEXTS : CALM_TEXTS;
			const flickerText = event ? BOILING_FLICKER_TEXT : CALM_FLICKER_TEXT;
			windows.push({
				window,
				state: segment.state,
				event,
				flicker: segment.flicker === true,
				episode: inEpisode ? episode : null,
				text: segment.flicker ? flickerText : texts[(window - 1) % texts.length],
				answerFault: source.answerFaults?.[window] ?? null,
			});
		}
	}
	return {
		name: source.name,
		description: source.description,
		event: 'the pan is boiling over',
		cycle: windows.length,
		repeats: true,
		episodesPerCycle: episode,
		windows,
	};
}

export const SCENARIOS: readonly Scenario[] = [
	build({
		name: 'boil',
		description:
			'Calm, then the pan boils over for 8 windows with a one-window calm flicker inside (one episode), calm again, ' +
			'boiling over again for 6 windows (a second episode), calm; then the cycle repeats.',
		segments: [
			{ state: 'calm', windows: 6 },
			{ state: 'boiling', windows: 4 },
			{ state: 'calm', windows: 1, flicker: true },
			{ state: 'boiling', windows: 3 },
			{ state: 'calm', windows: 8 },
			{ state: 'boiling', windows: 6 },
			{ state: 'calm', windows: 8 },
		],
		// Unreadable answers sit in the middle of calm stretches, so an episode count does not
		// depend on what a receiver makes of them; inside episodes only readable oddities.
		answerFaults: {
			3: 'answer_prose',
			5: 'answer_invalid_json',
			8: 'answer_code_fence',
			13: 'answer_yes_no',
			18: 'answer_missing_field',
			20: 'answer_number_string',
			25: 'answer_trailing_comma',
		},
	}),
	build({
		name: 'calm',
		description: 'Nothing ever happens: calm windows only (no episode), repeating.',
		segments: [{ state: 'calm', windows: 12 }],
	}),
	build({
		name: 'flicker',
		description:
			'Calm with two single-window "boiling over" flickers per cycle (noise: no real episode; a debounce of 2 windows hides them), repeating.',
		segments: [
			{ state: 'calm', windows: 5 },
			{ state: 'boiling', windows: 1, flicker: true },
			{ state: 'calm', windows: 9 },
			{ state: 'boiling', windows: 1, flicker: true },
			{ state: 'calm', windows: 8 },
		],
		answerFaults: { 10: 'answer_invalid_json' },
	}),
];

const BY_NAME = new Map(SCENARIOS.map((s) => [s.name, s]));

export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((s) => s.name);

export function scenario(name: string): Scenario | undefined {
	return BY_NAME.get(name);
}

/** The script's window that frame window `frame` (1-based) of a stream shows. */
export function scenarioWindow(script: Scenario, frame: number): ScenarioWindow {
	return script.windows[(frame - 1) % script.cycle];
}

/** Real episodes that start within the first `frames` frame windows (default: one cycle). */
export function scenarioEpisodes(script: Scenario, frames: number = script.cycle): number {
	const whole = Math.floor(frames / script.cycle);
	const rest = frames % script.cycle;
	const startsInRest = script.windows.filter((w, i) => i < rest && w.episode !== null && (i === 0 || script.windows[i - 1].episode !== w.episode)).length;
	// A cycle that starts with an episode's first window counts it there, and only there.
	return whole * script.episodesPerCycle + startsInRest;
}

/** Figures of the first `frames` frame windows: how many show the event, and the real episodes begun. */
export function scenarioSummary(script: Scenario, frames: number = script.cycle): { frames: number; eventWindows: number; episodes: number } {
	const perCycle = script.windows.filter((w) => w.event).length;
	const rest = script.windows.slice(0, frames % script.cycle).filter((w) => w.event).length;
	return { frames, eventWindows: Math.floor(frames / script.cycle) * perCycle + rest, episodes: scenarioEpisodes(script, frames) };
}
