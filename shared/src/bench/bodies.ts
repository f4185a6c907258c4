/**
 * Synthetic exposition bodies for the parser benchmark: deterministic (seeded), shaped like
 * real ones. `nodeExporterBody()` resembles node_exporter on a small ARM board (~1,000
 * series); `largeBody(n)` is an application with n series spread over many families.
 */
import { prng } from '../testing/prng.js';

/**
 * Formats like Go's strconv.FormatFloat(v, 'g', -1, 64), which client_golang uses: the
 * shortest digits, in exponent form (two-digit exponent) below 1e-4 and from 1e6 up.
 */
function goFloat(v: number): string {
  const a = Math.abs(v);
  if (v === 0 || (a >= 1e-4 && a < 1e6)) return String(v);
  const e = v.toExponential();
  const at = e.indexOf('e');
  const exp = e.slice(at + 2);
  return `${e.slice(0, at + 2)}${exp.length < 2 ? '0' : ''}${exp}`;
}

class Body {
  readonly parts: string[] = [];
  series = 0;
  readonly rand: () => number;
  constructor(seed: number) {
    this.rand = prng(seed); // seeded, so that every run parses the same bytes
  }
  meta(name: string, type: string, help: string): void {
    this.parts.push(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  }
  sample(name: string, labels: string, value: number): void {
    this.parts.push(labels ? `${name}{${labels}} ${goFloat(value)}\n` : `${name} ${goFloat(value)}\n`);
    this.series++;
  }
  /** One family: metadata, then a sample per label set. */
  family(name: string, type: string, help: string, labelSets: string[], value: () => number): void {
    this.meta(name, type, help);
    for (const ls of labelSets) this.sample(name, ls, value());
  }
  /** Counters as node_exporter shows them: integer counts, or seconds with 2 decimals (USER_HZ). */
  counter(): number {
    const r = this.rand();
    return r < 0.5 ? Math.floor(r * 2 * 10 ** Math.floor(this.rand() * 10)) : Math.round(r * 1e8) / 100;
  }
  /** Gauges: byte sizes and counts (integers), or measurements with a few significant digits. */
  gauge(): number {
    const r = this.rand();
    if (r < 0.15) return 0;
    if (r < 0.6) return Math.floor(this.rand() * 10 ** Math.floor(1 + this.rand() * 10));
    return Number((this.rand() * 10 ** Math.floor(this.rand() * 8 - 5)).toPrecision(1 + Math.floor(this.rand() * 6)));
  }
  histogram(name: string, help: string, labelSets: string[], bounds: number[]): void {
    this.meta(name, 'histogram', help);
    for (const ls of labelSets) {
      const pre = ls ? `${ls},` : '';
      let count = 0;
      for (const b of bounds) {
        count += Math.floor(this.rand() * 50);
        this.sample(`${name}_bucket`, `${pre}le="${goFloat(b)}"`, count);
      }
      this.sample(`${name}_bucket`, `${pre}le="+Inf"`, count);
      this.sample(`${name}_sum`, ls, Number((count * this.rand() * 0.3).toPrecision(6)));
      this.sample(`${name}_count`, ls, count);
    }
  }
  text(): string {
    return this.parts.join('');
  }
}

const CPUS = ['0', '1', '2', '3'];
const MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const DISKS = ['mmcblk0', 'mmcblk0p1', 'mmcblk0p2', 'sda'];
const NICS = ['eth0', 'lo', 'wlan0', 'docker0', 'tailscale0', 'veth3f2a1b7'];
const MOUNTS = [
  'device="/dev/mmcblk0p2",fstype="ext4",mountpoint="/"',
  'device="/dev/mmcblk0p1",fstype="vfat",mountpoint="/boot/firmware"',
  'device="tmpfs",fstype="tmpfs",mountpoint="/run"',
  'device="tmpfs",fstype="tmpfs",mountpoint="/run/lock"',
  'device="tmpfs",fstype="tmpfs",mountpoint="/run/user/1000"',
  'device="/dev/sda1",fstype="ext4",mountpoint="/mnt/data"',
];
const COLLECTORS = ['arp', 'bcache', 'bonding', 'btrfs', 'conntrack', 'cpu', 'cpufreq', 'diskstats', 'dmi', 'edac', 'entropy', 'fibrechannel', 'filefd', 'filesystem', 'hwmon', 'infiniband', 'ipvs', 'loadavg', 'mdadm', 'meminfo', 'netclass', 'netdev', 'netstat', 'nfs', 'nfsd', 'nvme', 'os', 'powersupplyclass', 'pressure', 'rapl', 'schedstat', 'selinux', 'sockstat', 'softnet', 'stat', 'tapestats', 'textfile', 'thermal_zone', 'time', 'timex', 'udp_queues', 'uname', 'vmstat', 'watchdog', 'xfs', 'zfs'];
const DURATION_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function each<T>(xs: readonly T[], f: (x: T) => string): string[] {
  return xs.map(f);
}

/** About 1,000 series shaped like node_exporter's default collectors on a 4-core board. */
export function nodeExporterBody(): string {
  const b = new Body(42);
  const c = () => b.counter();
  const g = () => b.gauge();
  b.meta('go_gc_duration_seconds', 'summary', 'A summary of the pause duration of garbage collection cycles.');
  for (const q of ['0', '0.25', '0.5', '0.75', '1']) b.sample('go_gc_duration_seconds', `quantile="${q}"`, Number((b.rand() * 1e-4).toPrecision(4)));
  b.sample('go_gc_duration_seconds_sum', '', 0.0312);
  b.sample('go_gc_duration_seconds_count', '', 1234);
  b.family('go_goroutines', 'gauge', 'Number of goroutines that currently exist.', [''], g);
  b.family('go_info', 'gauge', 'Information about the Go environment.', ['version="go1.22.5"'], () => 1);
  for (const m of ['alloc_bytes', 'alloc_bytes_total', 'buck_hash_sys_bytes', 'frees_total', 'gc_sys_bytes', 'heap_alloc_bytes', 'heap_idle_bytes', 'heap_inuse_bytes', 'heap_objects', 'heap_released_bytes', 'heap_sys_bytes', 'last_gc_time_seconds', 'lookups_total', 'mallocs_total', 'mcache_inuse_bytes', 'mcache_sys_bytes', 'mspan_inuse_bytes', 'mspan_sys_bytes', 'next_gc_bytes', 'other_sys_bytes', 'stack_inuse_bytes', 'stack_sys_bytes', 'sys_bytes']) {
    b.family(`go_memstats_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `Number of bytes or objects (${m.replace(/_/g, ' ')}) as reported by the Go runtime.`, [''], m.endsWith('_total') ? c : g);
  }
  b.family('go_threads', 'gauge', 'Number of OS threads created.', [''], g);
  b.family('node_arp_entries', 'gauge', 'ARP entries by device', ['device="eth0"', 'device="wlan0"'], g);
  b.family('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', [''], () => 1718000000);
  b.family('node_context_switches_total', 'counter', 'Total number of context switches.', [''], c);
  for (const m of ['cpu_frequency_max_hertz', 'cpu_frequency_min_hertz', 'cpu_scaling_frequency_hertz', 'cpu_scaling_frequency_max_hertz', 'cpu_scaling_frequency_min_hertz']) {
    b.family(`node_${m}`, 'gauge', `Current ${m.replace(/_/g, ' ')} of the CPU.`, each(CPUS, (x) => `cpu="${x}"`), () => 1.8e9);
  }
  b.family('node_cpu_scaling_governor', 'gauge', 'Current enabled CPU frequency governor.', CPUS.flatMap((x) => ['conservative', 'ondemand', 'performance', 'powersave', 'schedutil', 'userspace'].map((gv) => `cpu="${x}",governor="${gv}"`)), () => (b.rand() < 0.2 ? 1 : 0));
  b.family('node_cpu_guest_seconds_total', 'counter', 'Seconds the CPUs spent in guests (VMs) for each mode.', CPUS.flatMap((x) => ['nice', 'user'].map((m) => `cpu="${x}",mode="${m}"`)), () => 0);
  b.family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', CPUS.flatMap((x) => MODES.map((m) => `cpu="${x}",mode="${m}"`)), c);
  for (const m of ['discard_time_seconds_total', 'discarded_sectors_total', 'discards_completed_total', 'discards_merged_total', 'flush_requests_time_seconds_total', 'flush_requests_total', 'info', 'io_now', 'io_time_seconds_total', 'io_time_weighted_seconds_total', 'read_bytes_total', 'read_time_seconds_total', 'reads_completed_total', 'reads_merged_total', 'write_time_seconds_total', 'writes_completed_total', 'writes_merged_total', 'written_bytes_total']) {
    const labels = m === 'info' ? each(DISKS, (d) => `device="${d}",major="179",minor="0",path="platform-fe340000.mmc",revision="",serial="0x12345678"`) : each(DISKS, (d) => `device="${d}"`);
    b.family(`node_disk_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `The total number of ${m.replace(/_/g, ' ')}.`, labels, m === 'info' ? () => 1 : c);
  }
  b.family('node_entropy_available_bits', 'gauge', 'Bits of available entropy.', [''], g);
  b.family('node_exporter_build_info', 'gauge', 'A metric with a constant \'1\' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.', ['branch="HEAD",goarch="arm64",goos="linux",goversion="go1.22.5",revision="bc2a0d1a5b1b4b2d3c1e0f1a2b3c4d5e6f708192",tags="unknown",version="1.8.2"'], () => 1);
  b.family('node_filefd_allocated', 'gauge', 'File descriptor statistics: allocated.', [''], g);
  b.family('node_filefd_maximum', 'gauge', 'File descriptor statistics: maximum.', [''], () => 9.223372036854776e18);
  for (const m of ['avail_bytes', 'device_error', 'files', 'files_free', 'free_bytes', 'readonly', 'size_bytes']) {
    b.family(`node_filesystem_${m}`, 'gauge', `Filesystem ${m.replace(/_/g, ' ')}.`, MOUNTS, g);
  }
  b.family('node_forks_total', 'counter', 'Total number of forks.', [''], c);
  b.family('node_hwmon_temp_celsius', 'gauge', 'Hardware monitor for temperature (input)', ['chip="thermal_thermal_zone0",sensor="temp0"', 'chip="thermal_thermal_zone0",sensor="temp1"', 'chip="1000120000_pcie_1f000c8000_adc",sensor="temp1"'], () => Number((40 + b.rand() * 20).toFixed(3)));
  b.family('node_intr_total', 'counter', 'Total number of interrupts serviced.', [''], c);
  for (const l of ['1', '5', '15']) b.family(`node_load${l}`, 'gauge', `${l}m load average.`, [''], () => Number((b.rand() * 4).toFixed(2)));
  for (const m of ['Active', 'Active_anon', 'Active_file', 'AnonPages', 'Bounce', 'Buffers', 'Cached', 'CmaFree', 'CmaTotal', 'CommitLimit', 'Committed_AS', 'Dirty', 'Inactive', 'Inactive_anon', 'Inactive_file', 'KReclaimable', 'KernelStack', 'Mapped', 'MemAvailable', 'MemFree', 'MemTotal', 'Mlocked', 'NFS_Unstable', 'PageTables', 'Percpu', 'SReclaimable', 'SUnreclaim', 'SecPageTables', 'Shmem', 'Slab', 'SwapCached', 'SwapFree', 'SwapTotal', 'Unevictable', 'VmallocChunk', 'VmallocTotal', 'VmallocUsed', 'Writeback', 'WritebackTmp', 'Zswap', 'Zswapped']) {
    b.family(`node_memory_${m}_bytes`, 'gauge', `Memory information field ${m}_bytes.`, [''], () => Math.floor(b.rand() * 4e9 / 4096) * 4096);
  }
  for (const m of ['Icmp6_InErrors', 'Icmp6_InMsgs', 'Icmp6_OutMsgs', 'Icmp_InErrors', 'Icmp_InMsgs', 'Icmp_OutMsgs', 'Ip6_InOctets', 'Ip6_OutOctets', 'IpExt_InOctets', 'IpExt_OutOctets', 'Ip_Forwarding', 'TcpExt_ListenDrops', 'TcpExt_ListenOverflows', 'TcpExt_SyncookiesFailed', 'TcpExt_SyncookiesRecv', 'TcpExt_SyncookiesSent', 'TcpExt_TCPSynRetrans', 'TcpExt_TCPTimeouts', 'Tcp_ActiveOpens', 'Tcp_CurrEstab', 'Tcp_InErrs', 'Tcp_InSegs', 'Tcp_OutRsts', 'Tcp_OutSegs', 'Tcp_PassiveOpens', 'Tcp_RetransSegs', 'Udp6_InDatagrams', 'Udp6_InErrors', 'Udp6_NoPorts', 'Udp6_OutDatagrams', 'Udp6_RcvbufErrors', 'Udp6_SndbufErrors', 'UdpLite6_InErrors', 'UdpLite_InErrors', 'Udp_InDatagrams', 'Udp_InErrors', 'Udp_NoPorts', 'Udp_OutDatagrams', 'Udp_RcvbufErrors', 'Udp_SndbufErrors']) {
    b.family(`node_netstat_${m}`, 'untyped', `Statistic ${m.replace('_', '')}.`, [''], c);
  }
  for (const m of ['address_assign_type', 'carrier', 'carrier_changes_total', 'carrier_down_changes_total', 'carrier_up_changes_total', 'device_id', 'dormant', 'flags', 'iface_id', 'iface_link', 'iface_link_mode', 'mtu_bytes', 'name_assign_type', 'net_dev_group', 'protocol_type', 'receive_bytes_total', 'receive_compressed_total', 'receive_drop_total', 'receive_errs_total', 'receive_fifo_total', 'receive_frame_total', 'receive_multicast_total', 'receive_nohandler_total', 'receive_packets_total', 'speed_bytes', 'transmit_bytes_total', 'transmit_carrier_total', 'transmit_colls_total', 'transmit_compressed_total', 'transmit_drop_total', 'transmit_errs_total', 'transmit_fifo_total', 'transmit_packets_total', 'transmit_queue_length', 'up']) {
    b.family(`node_network_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `Network device property: ${m}.`, each(NICS, (d) => `device="${d}"`), m.endsWith('_total') ? c : g);
  }
  b.family('node_network_info', 'gauge', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', each(NICS, (d) => `address="dc:a6:32:12:34:${d.length}a",adminstate="up",broadcast="ff:ff:ff:ff:ff:ff",device="${d}",duplex="full",ifalias="",operstate="up"`), () => 1);
  b.family('node_os_info', 'gauge', 'A metric with a constant \'1\' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.', ['build_id="",id="debian",id_like="",image_id="",image_version="",name="Debian GNU/Linux",pretty_name="Debian GNU/Linux 12 (bookworm)",variant="",variant_id="",version="12 (bookworm)",version_codename="bookworm",version_id="12"'], () => 1);
  b.family('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', [''], g);
  b.family('node_procs_running', 'gauge', 'Number of processes in runnable state.', [''], g);
  for (const m of ['running_seconds_total', 'timeslices_total', 'waiting_seconds_total']) {
    b.family(`node_schedstat_${m}`, 'counter', `Number of ${m.replace(/_/g, ' ')} by cpu.`, each(CPUS, (x) => `cpu="${x}"`), c);
  }
  b.family('node_scrape_collector_duration_seconds', 'gauge', 'node_exporter: Duration of a collector scrape.', each(COLLECTORS, (x) => `collector="${x}"`), () => Number((b.rand() * 0.01).toPrecision(6)));
  b.family('node_scrape_collector_success', 'gauge', 'node_exporter: Whether a collector succeeded.', each(COLLECTORS, (x) => `collector="${x}"`), () => (b.rand() < 0.8 ? 1 : 0));
  for (const m of ['FRAG6_inuse', 'FRAG_inuse', 'RAW6_inuse', 'RAW_inuse', 'TCP6_inuse', 'TCP_alloc', 'TCP_inuse', 'TCP_mem', 'TCP_mem_bytes', 'TCP_orphan', 'TCP_tw', 'UDP6_inuse', 'UDPLITE6_inuse', 'UDPLITE_inuse', 'UDP_inuse', 'UDP_mem', 'UDP_mem_bytes', 'sockets_used']) {
    b.family(`node_sockstat_${m}`, 'gauge', `Number of ${m} sockets in state.`, [''], g);
  }
  for (const m of ['backlog_len', 'cpu_collision_total', 'dropped_total', 'flow_limit_count_total', 'processed_total', 'received_rps_total', 'times_squeezed_total']) {
    b.family(`node_softnet_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `Number of ${m.replace(/_/g, ' ')}`, each(CPUS, (x) => `cpu="${x}"`), c);
  }
  b.family('node_textfile_scrape_error', 'gauge', '1 if there was an error opening or reading a file, 0 otherwise', [''], () => 0);
  b.family('node_thermal_zone_temp', 'gauge', 'Zone temperature in Celsius', ['type="cpu-thermal",zone="0"'], () => 47.236);
  b.family('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', [''], () => 1718123456.789);
  for (const m of ['estimated_error_seconds', 'frequency_adjustment_ratio', 'loop_time_constant', 'maxerror_seconds', 'offset_seconds', 'pps_calibration_total', 'pps_error_total', 'pps_frequency_hertz', 'pps_jitter_seconds', 'pps_jitter_total', 'pps_shift_seconds', 'pps_stability_exceeded_total', 'pps_stability_hertz', 'status', 'sync_status', 'tai_offset_seconds', 'tick_seconds']) {
    b.family(`node_timex_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `Timex ${m.replace(/_/g, ' ')}.`, [''], g);
  }
  b.family('node_udp_queues', 'gauge', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', ['ip="v4",queue="rx"', 'ip="v4",queue="tx"', 'ip="v6",queue="rx"', 'ip="v6",queue="tx"'], g);
  b.family('node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', ['domainname="(none)",machine="aarch64",nodename="pi-kitchen",release="6.6.31+rpt-rpi-v8",sysname="Linux",version="#1 SMP PREEMPT Debian 1:6.6.31-1+rpt1 (2024-05-29)"'], () => 1);
  for (const m of ['oom_kill', 'pgfault', 'pgmajfault', 'pgpgin', 'pgpgout', 'pswpin', 'pswpout']) {
    b.family(`node_vmstat_${m}`, 'untyped', `/proc/vmstat information field ${m}.`, [''], c);
  }
  for (const m of ['cpu_seconds_total', 'max_fds', 'network_receive_bytes_total', 'network_transmit_bytes_total', 'open_fds', 'resident_memory_bytes', 'start_time_seconds', 'virtual_memory_bytes', 'virtual_memory_max_bytes']) {
    b.family(`process_${m}`, m.endsWith('_total') ? 'counter' : 'gauge', `Process ${m.replace(/_/g, ' ')}.`, [''], m.endsWith('_total') ? c : g);
  }
  b.family('promhttp_metric_handler_errors_total', 'counter', 'Total number of internal errors encountered by the promhttp metric handler.', ['cause="encoding"', 'cause="gathering"'], () => 0);
  b.family('promhttp_metric_handler_requests_in_flight', 'gauge', 'Current number of scrapes being served.', [''], () => 1);
  b.family('promhttp_metric_handler_requests_total', 'counter', 'Total number of scrapes by HTTP status code.', ['code="200"', 'code="500"', 'code="503"'], c);
  // Histograms (node_exporter has none by default; exporters on the same board often do).
  b.histogram('http_request_duration_seconds', 'HTTP request latencies in seconds.', ['200', '304', '404', '500'].flatMap((code) => ['/metrics', '/', '/api/v1/status', '/api/v1/push'].map((h) => `code="${code}",handler="${h}",method="GET"`)), DURATION_BOUNDS);
  return b.text();
}

/** An application with `series` series: counters and gauges with 3-4 labels, some histograms. */
export function largeBody(series: number): string {
  const b = new Body(7);
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const codes = ['200', '201', '204', '400', '404', '500'];
  let fam = 0;
  while (b.series < series) {
    const left = series - b.series;
    const kind = fam % 4;
    if (kind === 3 && left >= 14 * 20) {
      const sets: string[] = [];
      for (let i = 0; i < Math.min(200, Math.floor(left / 14)); i++) sets.push(`handler="/api/v1/resource_${i}",method="${methods[i % 4]}"`);
      b.histogram(`app_family_${fam}_duration_seconds`, 'Request latency in seconds.', sets, DURATION_BOUNDS);
    } else {
      const isCounter = kind !== 2;
      const name = isCounter ? `app_family_${fam}_requests_total` : `app_family_${fam}_inflight`;
      b.meta(name, isCounter ? 'counter' : 'gauge', isCounter ? 'Requests handled, by handler, method and code.' : 'Requests in flight.');
      const n = Math.min(left, 2500);
      for (let i = 0; i < n; i++) {
        const labels = `code="${codes[i % 6]}",handler="/api/v1/resource_${Math.floor(i / 24)}",instance="device-${(i * 7) % 97}.fleet.local:9100",method="${methods[Math.floor(i / 6) % 4]}"`;
        b.sample(name, labels, isCounter ? b.counter() : b.gauge());
      }
    }
    fam++;
  }
  return b.text();
}
