// Deterministic, readable analysis text: the same prompt and frame always give the same words,
// and consecutive frame pairs share a text so "only on change" filters have something to drop.
// The prompt chooses where in the scene's story a stream starts; it is not echoed, since prompts
// name the very keywords a filter looks for.

const OBSERVATIONS = [
	'The scene is calm; nothing has changed.',
	'A person walks into view from the left.',
	'Steam is rising from the pan on the stove.',
	'The pan is boiling over and liquid spills onto the stove.',
	'A person is stirring the pan.',
	'The person leaves the frame.',
	'Smoke is visible above the stove.',
	'The camera view is briefly blocked.',
	'The kitchen is empty.',
	'A delivery van parks outside the window.',
] as const;

function hash(text: string): number {
	let h = 2166136261;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 16777619);
	}
	return h >>> 0;
}

/** What the model "sees" in frame window `frame` (1-based) of a stream with this prompt. */
export function analysisText(userPrompt: string, frame: number): string {
	const index = (hash(userPrompt) + Math.floor((frame - 1) / 2)) % OBSERVATIONS.length;
	return OBSERVATIONS[index];
}

export const ALL_OBSERVATIONS: readonly string[] = OBSERVATIONS;
