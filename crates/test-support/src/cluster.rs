//! A private PostgreSQL cluster, for tests that need a server set up unlike
//! the shared one (TLS on or off, certificates of their own): a fresh
//! `initdb` in a throwaway folder, started by `pg_ctl` on a free loopback
//! port (no Unix socket) with trust authentication for `postgres`, stopped
//! and removed when dropped. PostgreSQL refuses to run as root: as root, the
//! cluster runs as `nobody`, as `scripts/dev` does. Clusters left by test
//! processes that died are stopped and removed by the next start.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use crate::process::free_port;

/// Prefix of every cluster's folder in the temporary directory.
const PREFIX: &str = "palette-api-cluster-";

/// What a cluster starts with.
#[derive(Debug, Default, Clone)]
pub struct ClusterBuilder {
    settings: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
}

impl ClusterBuilder {
    /// Sets a `postgresql.conf` parameter, such as `ssl` or `ssl_cert_file`.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes a file into the data folder before the start, readable by the
    /// server's user only (as PostgreSQL wants a private key); settings name
    /// it relative to that folder.
    pub fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_owned(), contents.into()));
        self
    }

    /// Creates and starts the cluster; about a second, mostly `initdb`.
    /// Panics, with the server's log, when it cannot.
    pub fn start(self) -> Cluster {
        static SWEEP: Once = Once::new();
        SWEEP.call_once(sweep);
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let folder = std::env::temp_dir().join(format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).expect("creating the cluster's folder");
        let runner = Runner::current();
        runner.give(&folder);
        let mut cluster = Cluster {
            data: folder.join("data"),
            folder,
            port: 0,
            runner,
            pg_ctl: pg_binary("pg_ctl"),
        };
        let initdb = cluster
            .command(&pg_binary("initdb"))
            .arg("-D")
            .arg(&cluster.data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
            .output()
            .expect("running initdb");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        for (name, contents) in &self.files {
            let path = cluster.data.join(name);
            std::fs::write(&path, contents).expect("writing a file of the cluster");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("a private file");
            cluster.runner.give(&path);
        }
        let mut settings = vec![
            ("listen_addresses".to_owned(), "127.0.0.1".to_owned()),
            ("unix_socket_directories".to_owned(), String::new()),
            ("fsync".to_owned(), "off".to_owned()),
        ];
        settings.extend(self.settings);
        append_settings(&cluster.data, &settings);
        // Another test may take the free port first: try another one.
        let mut attempt = 0;
        loop {
            attempt += 1;
            cluster.port = free_port();
            append_settings(&cluster.data, &[("port".to_owned(), cluster.port.to_string())]);
            let log = cluster.folder.join("server.log");
            let started = cluster
                .command(&cluster.pg_ctl)
                .arg("-D")
                .arg(&cluster.data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "start"])
                .stdout(Stdio::null())
                .status()
                .expect("running pg_ctl");
            if started.success() {
                return cluster;
            }
            let logged = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                attempt < 3 && logged.contains("could not bind"),
                "the private PostgreSQL did not start:\n{logged}"
            );
        }
    }
}

/// A running private cluster; stopped and removed when dropped.
#[derive(Debug)]
pub struct Cluster {
    folder: PathBuf,
    data: PathBuf,
    port: u16,
    runner: Runner,
    pg_ctl: PathBuf,
}

impl Cluster {
    /// A cluster with nothing but the defaults set.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// The loopback port the cluster listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// A URL as `postgres` to `database`, through `host` (`localhost` or
    /// `127.0.0.1`: the cluster listens on the latter), with `query` (without
    /// `?`; empty for none).
    pub fn url(&self, host: &str, database: &str, query: &str) -> String {
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("postgres://postgres@{host}:{}/{database}{query}", self.port)
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.folder).env_remove("PGDATA");
        self.runner.apply(&mut command);
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command(&self.pg_ctl)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Who runs the cluster: this process' user, or `nobody` when that is root.
#[derive(Debug, Clone, Copy)]
struct Runner(Option<(u32, u32)>);

impl Runner {
    fn current() -> Self {
        // `/proc/self` belongs to the process' effective user.
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        if !root {
            return Self(None);
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let nobody = passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                ["nobody", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        });
        Self(Some(nobody.unwrap_or((65534, 65534))))
    }

    fn apply(self, command: &mut Command) {
        if let Some((uid, gid)) = self.0 {
            command.uid(uid).gid(gid);
        }
    }

    /// Makes `path` the runner's.
    fn give(self, path: &Path) {
        if let Some((uid, gid)) = self.0 {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("handing a file to the cluster's user");
        }
    }
}

fn append_settings(data: &Path, settings: &[(String, String)]) {
    use std::io::Write;
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .expect("opening postgresql.conf");
    for (name, value) in settings {
        writeln!(conf, "{name} = '{}'", value.replace('\'', "''")).expect("writing postgresql.conf");
    }
}

/// A PostgreSQL program, from PATH or the usual install folders (the newest version).
fn pg_binary(name: &str) -> PathBuf {
    let from_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin").join(name)))
        })
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    from_path
        .into_iter()
        .chain(versioned.into_iter().map(|(_, path)| path))
        .chain([Path::new("/usr/local/pgsql/bin").join(name)])
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name} not found: install PostgreSQL's server binaries"))
}

/// Stops and removes the clusters of test processes that are gone.
fn sweep() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|name| name.strip_prefix(PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if pid.is_empty() || Path::new("/proc").join(pid).exists() {
            continue;
        }
        let folder = entry.path();
        let mut stop = Command::new(pg_binary("pg_ctl"));
        Runner::current().apply(&mut stop);
        let _ = stop
            .current_dir(&folder)
            .arg("-D")
            .arg(folder.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&folder);
    }
}
