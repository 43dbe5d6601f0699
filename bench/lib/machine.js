'use strict';
// Facts about the machine a benchmark ran on, for the report's header.
const fs = require('fs');
const os = require('os');

function machineFacts(peer) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    disk: rootFilesystem(),
    node: process.version,
    python: peer?.pythonVersion ?? 'not installed',
    metaflow: peer?.metaflow ?? 'not installed',
    pandas: peer?.pandas ?? 'not installed',
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/** The filesystem type of the benchmark's working directory, from /proc/mounts (best effort). */
function rootFilesystem() {
  try {
    const mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields.length > 2 && process.cwd().startsWith(fields[1]))
      .sort((a, b) => b[1].length - a[1].length);
    return mounts[0] ? `${mounts[0][2]} on ${mounts[0][0]}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

module.exports = { machineFacts };
