// Headless Chromium (the system's /usr/bin/chromium, no browser download) driven over the
// DevTools protocol: evaluate in the page, wait for a condition, take screenshots, and collect
// every exception and console error the page raises.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import WebSocket from 'ws';

import { freePort } from '../../../../scripts/lib/ports';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Rect {
	x: number;
	y: number;
	width: number;
	height: number;
}

export interface Browser {
	/** Exceptions and console errors seen so far, in order. */
	readonly problems: string[];
	navigate(url: string): Promise<void>;
	/** The value of `expression` (awaited when it is a promise); throws what the page threw. */
	evaluate<T>(expression: string): Promise<T>;
	/** Resolves once `expression` is truthy in the page. */
	until(expression: string, timeoutMs?: number): Promise<void>;
	/** A PNG of the viewport, or of `clip` (CSS pixels). */
	screenshot(clip?: Rect): Promise<Buffer>;
	/** A real left click (mouse pressed and released) at a point of the viewport. */
	click(x: number, y: number): Promise<void>;
	close(): Promise<void>;
}

type Answer = { result?: { result?: { value?: unknown }; exceptionDetails?: unknown; data?: string }; error?: { message: string } };

export async function openBrowser(options: { width: number; height: number }): Promise<Browser> {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
	const debugPort = await freePort();
	const chrome: ChildProcess = spawn(
		CHROMIUM,
		[
			'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage', '--hide-scrollbars',
			`--remote-debugging-port=${debugPort}`, '--remote-debugging-address=127.0.0.1', `--user-data-dir=${profile}`,
			`--window-size=${options.width},${options.height}`, 'about:blank',
		],
		// Its own process group: Chromium's helper processes go with it at the end.
		{ stdio: 'ignore', detached: true },
	);
	const exited = new Promise((resolve) => chrome.once('exit', resolve));

	let target: { type: string; webSocketDebuggerUrl: string } | undefined;
	const deadline = Date.now() + 30000;
	while (!target) {
		try {
			const targets = (await (await fetch(`http://127.0.0.1:${debugPort}/json`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
			target = targets.find((t) => t.type === 'page');
		} catch {
			if (Date.now() > deadline) throw new Error('Chromium did not start');
			await new Promise((resolve) => setTimeout(resolve, 100)); // its DevTools port has no event to await
		}
	}
	const page = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
	await new Promise((resolve) => page.once('open', resolve));

	const problems: string[] = [];
	const pending = new Map<number, (answer: Answer) => void>();
	const waiters: Array<{ method: string; resolve: () => void }> = [];
	let nextId = 0;
	page.on('message', (data) => {
		const message = JSON.parse(String(data));
		if (message.id && pending.has(message.id)) {
			pending.get(message.id)!(message);
			pending.delete(message.id);
		} else if (message.method === 'Runtime.exceptionThrown') {
			problems.push(`exception: ${JSON.stringify(message.params.exceptionDetails).slice(0, 400)}`);
		} else if (message.method === 'Log.entryAdded' && message.params.entry.level === 'error') {
			problems.push(`${message.params.entry.text} ${message.params.entry.url ?? ''}`);
		} else if (message.method === 'Runtime.consoleAPICalled' && message.params.type === 'error') {
			problems.push(`console.error: ${JSON.stringify(message.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description)).slice(0, 400)}`);
		}
		for (const waiter of waiters.filter((w) => w.method === message.method)) {
			waiters.splice(waiters.indexOf(waiter), 1);
			waiter.resolve();
		}
	});

	function send(method: string, params: object = {}): Promise<Answer> {
		return new Promise((resolve, reject) => {
			const id = ++nextId;
			pending.set(id, (answer) => (answer.error ? reject(new Error(`${method}: ${answer.error.message}`)) : resolve(answer)));
			page.send(JSON.stringify({ id, method, params }));
		});
	}

	async function evaluate<T>(expression: string): Promise<T> {
		const answer = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
		if (answer.result?.exceptionDetails) throw new Error(`in the browser: ${JSON.stringify(answer.result.exceptionDetails).slice(0, 600)}`);
		return answer.result?.result?.value as T;
	}

	await send('Runtime.enable');
	await send('Log.enable');
	await send('Page.enable');
	await send('Emulation.setDeviceMetricsOverride', { width: options.width, height: options.height, deviceScaleFactor: 1, mobile: false });

	return {
		problems,
		async navigate(url) {
			const loaded = new Promise<void>((resolve) => waiters.push({ method: 'Page.loadEventFired', resolve }));
			await send('Page.navigate', { url });
			await loaded;
		},
		evaluate,
		async until(expression, timeoutMs = 30000) {
			const end = Date.now() + timeoutMs;
			for (;;) {
				if (await evaluate<boolean>(`(function () { try { return !!(${expression}); } catch (e) { return false; } })()`).catch(() => false)) return;
				if (Date.now() > end) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
				await new Promise((resolve) => setTimeout(resolve, 100)); // the page's state has no event to await from here
			}
		},
		async screenshot(clip) {
			const answer = await send('Page.captureScreenshot', { format: 'png', ...(clip ? { clip: { ...clip, scale: 1 } } : {}) });
			return Buffer.from(answer.result!.data!, 'base64');
		},
		async click(x, y) {
			await send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
			await send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', buttons: 1, clickCount: 1 });
			await send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', buttons: 0, clickCount: 1 });
		},
		async close() {
			page.close();
			if (chrome.pid !== undefined && chrome.exitCode === null) {
				process.kill(-chrome.pid, 'SIGKILL');
				await exited;
			}
			// Helper processes of Chromium may still be flushing the profile for a moment after the kill.
			fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
		},
	};
}
