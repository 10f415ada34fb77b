// Figures that real-host tests measure, appended to a JSON-lines file the closing notes and
// RELIABILITY.md quote (E2E_FIGURES names it; default: build/e2e-figures.jsonl).
import fs from 'fs';
import path from 'path';

export function recordFigures(name: string, figures: Record<string, number | string>): void {
	const file = process.env.E2E_FIGURES ?? path.join(__dirname, '../../../build/e2e-figures.jsonl');
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.appendFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), ...figures })}\n`);
	process.stdout.write(`figures ${name}: ${JSON.stringify(figures)}\n`);
}
