/**
 * Where the OS boundary lives. Exporters read procfs, sysfs and files under the root
 * filesystem only through these paths, so tests point them at a fake tree in a temp dir
 * and a containerised agent points them at the host's mounts (`/host/proc`, ...).
 */
export interface OsRoots {
  /** procfs mount, default `/proc`. */
  procfs: string;
  /** sysfs mount, default `/sys`. */
  sysfs: string;
  /** Root of the host filesystem (for `/etc/os-release`, statfs of mount points), default `/`. */
  rootfs: string;
}

export const DEFAULT_ROOTS: Readonly<OsRoots> = Object.freeze({ procfs: '/proc', sysfs: '/sys', rootfs: '/' });

/** Fills in the defaults; undefined fields count as unset. */
export function resolveRoots(partial?: Partial<OsRoots>): OsRoots {
  return {
    procfs: partial?.procfs ?? DEFAULT_ROOTS.procfs,
    sysfs: partial?.sysfs ?? DEFAULT_ROOTS.sysfs,
    rootfs: partial?.rootfs ?? DEFAULT_ROOTS.rootfs,
  };
}
