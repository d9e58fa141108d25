//! Opening input files safely, and telling files apart.
//!
//! An input path may name something that is not a regular file: a FIFO (opening it for
//! reading waits for a writer, forever), a device such as `/dev/zero` (it never ends) or
//! a socket. [`open_regular`] refuses those with [`Error::NotARegularFile`] before
//! anything is read: it checks the path's metadata before opening, opens without
//! waiting (on Linux, non-blocking, so a FIFO swapped in between cannot hang the open),
//! and checks the opened file's metadata again. [`read_to_string_limited`] reads a small
//! file (a saved view, a settings file) under a size limit. [`FileId`] identifies a
//! file by device and inode (on Unix), so that a program can refuse to write its output
//! over one of its inputs whatever the path spelling.

use std::fs::{File, FileType, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What a file type is, for a message: `a FIFO`, `a directory`, ...
fn kind(file_type: FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn check(path: &Path, metadata: &Metadata) -> Result<()> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(Error::NotARegularFile {
            path: path.to_owned(),
            kind: kind(metadata.file_type()),
        })
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Opens `path` for reading when it is a regular file (symbolic links are followed).
///
/// # Errors
/// * [`Error::Io`] when the path cannot be examined or opened (its `source` is
///   [`io::ErrorKind::NotFound`] for a missing file).
/// * [`Error::NotARegularFile`] for a FIFO, a device, a socket or a directory: checked
///   before opening and again on the opened file, and the open itself does not wait on
///   Linux (non-blocking), so this never blocks.
///
/// # Example
/// ```
/// use crm_metrics::io::file::open_regular;
/// use crm_metrics::Error;
///
/// let dir = std::env::temp_dir();
/// assert!(matches!(open_regular(&dir), Err(Error::NotARegularFile { kind: "a directory", .. })));
/// ```
pub fn open_regular(path: &Path) -> Result<File> {
    let metadata = std::fs::metadata(path).map_err(io_error(path))?;
    check(path, &metadata)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(all(
        target_os = "linux",
        any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64",
            target_arch = "loongarch64",
            target_arch = "s390x",
            target_arch = "powerpc64"
        )
    ))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK on these architectures (asm-generic): a FIFO put in place of the
        // file after the check above opens at once instead of waiting for a writer, and
        // is refused below. Reads of a regular file ignore the flag.
        const O_NONBLOCK: i32 = 0o4000;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_error(path))?;
    let opened = file.metadata().map_err(io_error(path))?;
    check(path, &opened)?;
    Ok(file)
}

/// Reads the regular file at `path` as UTF-8 text, refusing one longer than `limit`
/// bytes: at most `limit + 1` bytes are ever read, whatever the file claims.
///
/// # Errors
/// * [`Error::Io`] / [`Error::NotARegularFile`] as for [`open_regular`]; [`Error::Io`]
///   (kind `InvalidData`) when the text is not UTF-8.
/// * [`Error::InputTooLarge`] when the file holds more than `limit` bytes.
///
/// # Example
/// ```
/// use crm_metrics::io::file::read_to_string_limited;
/// use crm_metrics::Error;
///
/// let path = std::env::temp_dir().join(format!("crm-limited-{}.json", std::process::id()));
/// std::fs::write(&path, "{\"name\": \"x\"}")?;
/// assert_eq!(read_to_string_limited(&path, 100)?, "{\"name\": \"x\"}");
/// assert!(matches!(read_to_string_limited(&path, 5), Err(Error::InputTooLarge { limit: 5, .. })));
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_to_string_limited(path: &Path, limit: u64) -> Result<String> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > limit {
        return Err(Error::InputTooLarge {
            path: path.to_owned(),
            what: "the file",
            limit,
        });
    }
    String::from_utf8(bytes)
        .map_err(|e| io_error(path)(io::Error::new(io::ErrorKind::InvalidData, e.utf8_error())))
}

/// The identity of a file: its device and inode number on Unix, its canonical path
/// elsewhere. Two paths name the same file exactly when their ids are equal (hard
/// links, symbolic links, `./` and `..` included).
///
/// # Example
/// ```
/// use crm_metrics::io::file::FileId;
///
/// let dir = std::env::temp_dir();
/// assert_eq!(FileId::of(&dir)?, FileId::of(&dir.join("."))?);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileId(Inner);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Inner {
    #[cfg(unix)]
    Unix { dev: u64, ino: u64 },
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

impl FileId {
    /// The identity of the file at `path` (symbolic links followed).
    ///
    /// # Errors
    /// The operating system's error when the path cannot be examined (for example
    /// [`io::ErrorKind::NotFound`]).
    pub fn of(path: &Path) -> io::Result<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(path)?;
            Ok(FileId(Inner::Unix {
                dev: m.dev(),
                ino: m.ino(),
            }))
        }
        #[cfg(not(unix))]
        {
            Ok(FileId(Inner::Path(std::fs::canonicalize(path)?)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let err = open_regular(Path::new("/")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotARegularFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{err}"
        );
        #[cfg(unix)]
        {
            let err = open_regular(Path::new("/dev/zero")).unwrap_err();
            assert_eq!(
                err.to_string(),
                "/dev/zero: not a regular file (a character device): input files must be regular files"
            );
            let err = read_to_string_limited(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(matches!(err, Error::NotARegularFile { .. }), "{err}");
        }
        let err = open_regular(Path::new("/no/such/file")).unwrap_err();
        assert!(
            matches!(&err, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound),
            "{err}"
        );
    }

    #[test]
    fn same_file_through_different_paths() {
        let dir = std::env::temp_dir().join(format!("crm-fileid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.csv");
        std::fs::write(&a, "x").unwrap();
        let b = dir.join("b.csv");
        std::fs::write(&b, "x").unwrap();
        assert_eq!(
            FileId::of(&a).unwrap(),
            FileId::of(&dir.join("./a.csv")).unwrap()
        );
        assert_ne!(FileId::of(&a).unwrap(), FileId::of(&b).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
