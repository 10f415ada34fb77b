'use strict';
// Preloaded with `--require` (NODE_OPTIONS may not carry --cpu-prof, and hosts handle signals
// themselves): profiles while the files $BENCH_PROFILE_OUT.start … .stop say so, then writes a
// .cpuprofile to $BENCH_PROFILE_OUT. Polls for the files every 100 ms. $BENCH_PROFILE_MATCH: a
// pattern the profiled process's argv must match (a host may start several Node processes).
const inspector = require('node:inspector');
const fs = require('node:fs');

const out = process.env.BENCH_PROFILE_OUT;
const match = process.env.BENCH_PROFILE_MATCH; // only the process whose argv matches
if (out && (!match || new RegExp(match).test(process.argv.join(' ')))) {
	const session = new inspector.Session();
	session.connect();
	let running = false;
	const take = (file) => {
		try {
			fs.unlinkSync(file);
			return true;
		} catch {
			return false;
		}
	};
	setInterval(() => {
		if (!running && take(`${out}.start`)) {
			running = true;
			session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 250 }, () => session.post('Profiler.start')));
		} else if (running && take(`${out}.stop`)) {
			running = false;
			session.post('Profiler.stop', (err, result) => {
				if (!err) fs.writeFileSync(out, JSON.stringify(result.profile));
			});
		}
	}, 100).unref();
}
