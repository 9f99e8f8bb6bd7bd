//! The directory a bulk build reads its own segments through.
//!
//! tantivy's [`MmapDirectory`] maps every segment file it reads, and every page a merge
//! touches stays in the process's resident memory until the segment is dropped. A merge
//! of the whole index (the end of a first build, see `SupplyWriter::commit`) touches every
//! posting list and term of every segment, so a 1M-record build peaked at 1.9 GiB of
//! resident memory, 1.8 GiB of it mapped index files, against 0.9 GiB of its own.
//!
//! [`BulkDirectory`] reads postings, positions, term dictionaries, field norms and fast
//! fields with positioned reads (`pread`) into buffers that live as long as the reader
//! needs them (a posting list while it is merged), so the kernel's page cache holds those
//! files instead of the process. A merge reads each segment's posting lists in term order,
//! one small read after the other: a read that starts where the previous one of the file
//! ended fetches [`READ_AHEAD`] bytes at once and the reads that follow are served from
//! them (one system call per window instead of one per posting list), while a read
//! elsewhere in the file reads only what it asks. The stored records stay mapped: when
//! segments merge, tantivy copies each segment's compressed record store in one read of
//! the whole file, which through `pread` would be a buffer as large as the store.
//!
//! Only for a process that builds and exits (`techmatch index`, a build beside a served
//! index): searching through it would copy every posting list it reads, where a mapped
//! file is read in place.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};
use tantivy::HasLen;

/// Bytes fetched at once by a read that follows the previous one of its file.
pub const READ_AHEAD: usize = 1 << 20;

/// An [`MmapDirectory`] whose segment files, but for the record store, are read with
/// `pread` instead of being mapped (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct BulkDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl BulkDirectory {
    pub(crate) fn open(root: &Path) -> Result<BulkDirectory, OpenDirectoryError> {
        Ok(BulkDirectory {
            mapped: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }
}

/// Files read whole by a merge stay mapped: the record store (`.store`).
fn stays_mapped(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "store")
}

impl Directory for BulkDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if stays_mapped(path) {
            return self.mapped.get_file_handle(path);
        }
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                OpenReadError::FileDoesNotExist(path.to_path_buf())
            } else {
                OpenReadError::wrap_io_error(error, full.clone())
            }
        })?;
        let file =
            PositionedFile::new(file).map_err(|error| OpenReadError::wrap_io_error(error, full))?;
        Ok(Arc::new(file))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}

/// A segment file read with positioned reads (also the near-duplicate pass's way to read
/// stored records, see `clusters::StoredRecords`). Segment files are written once and never
/// change, so the length read at opening holds.
#[derive(Debug)]
pub(crate) struct PositionedFile {
    file: File,
    len: usize,
    window: Mutex<Window>,
}

/// The bytes of the last read-ahead and where the last read ended.
#[derive(Debug, Default)]
struct Window {
    start: usize,
    bytes: Option<OwnedBytes>,
    last_end: usize,
}

impl Window {
    fn holds(&self, range: &Range<usize>) -> Option<OwnedBytes> {
        let bytes = self.bytes.as_ref()?;
        (range.start >= self.start && range.end <= self.start + bytes.len())
            .then(|| bytes.slice(range.start - self.start..range.end - self.start))
    }
}

impl PositionedFile {
    pub(crate) fn new(file: File) -> io::Result<PositionedFile> {
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file larger than memory"))?;
        Ok(PositionedFile {
            file,
            len,
            window: Mutex::new(Window::default()),
        })
    }

    fn read(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        let mut buffer = vec![0; range.len()];
        self.file.read_exact_at(&mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

impl HasLen for PositionedFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for PositionedFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.end > self.len || range.start > range.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "read of bytes {}..{} past the end of a {}-byte segment file",
                    range.start, range.end, self.len
                ),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        if range.len() >= READ_AHEAD {
            return self.read(range);
        }
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = window.holds(&range) {
            window.last_end = range.end;
            return Ok(bytes);
        }
        let follows = range.start == window.last_end;
        window.last_end = range.end;
        if !follows {
            return self.read(range);
        }
        let ahead = range.start..self.len.min(range.start + READ_AHEAD);
        let bytes = self.read(ahead)?;
        let asked = bytes.slice(0..range.len());
        window.start = range.start;
        window.bytes = Some(bytes);
        Ok(asked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ranges_and_empty_ranges_and_refuses_past_the_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.idx"), b"0123456789").unwrap();
        let directory = BulkDirectory::open(dir.path()).unwrap();
        let handle = directory.get_file_handle(Path::new("a.idx")).unwrap();
        assert_eq!(handle.len(), 10);
        assert_eq!(handle.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert!(handle.read_bytes(10..10).unwrap().as_slice().is_empty());
        assert!(handle.read_bytes(8..11).is_err());
        // Reads that follow each other are served from one read-ahead window.
        let mut at = 0;
        for len in [3, 0, 4, 3] {
            assert_eq!(
                handle.read_bytes(at..at + len).unwrap().as_slice(),
                &b"0123456789"[at..at + len]
            );
            at += len;
        }
        assert_eq!(handle.read_bytes(1..9).unwrap().as_slice(), b"12345678");
        assert_eq!(handle.read_bytes(7..9).unwrap().as_slice(), b"78");
        assert!(matches!(
            directory.get_file_handle(Path::new("missing.idx")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
        assert!(!stays_mapped(Path::new("a.idx")));
        assert!(stays_mapped(Path::new("a.store")));
    }
}
