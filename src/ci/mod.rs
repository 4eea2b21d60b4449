//! What CI systems read from sirops beside its output: GitHub's workflow commands (annotations)
//! and step outputs, GitLab's Code Quality and merge-request reports. Pure: values in, text
//! out; the command line decides where the text goes.

pub mod github;
pub mod gitlab;

use std::path::{Component, Path, PathBuf};

/// A manifest's path as CI systems want it: relative to the repository root, with `/`
/// separators, so the annotation or report lands on the file in the diff. `file` is as the
/// diagnostic names it (relative to `working_directory`, or absolute); a file outside `root`
/// keeps its full path, which is still the truth.
pub fn repository_path(file: &Path, working_directory: &Path, root: &Path) -> String {
    let absolute = normalised(&working_directory.join(file));
    let root = normalised(root);
    match absolute.strip_prefix(&root) {
        Ok(inside) => inside
            .components()
            .map(|component| component.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }
}

/// `.` and `..` folded away without touching the file system (a manifest named on the command
/// line as `./cases/../cases/a.yaml` is `cases/a.yaml` to a reviewer).
fn normalised(path: &Path) -> PathBuf {
    let mut result = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                result.pop();
            }
            other => result.push(other),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_repository_root_with_forward_slashes() {
        let root = Path::new("/work/repo");
        assert_eq!(
            repository_path(Path::new("cases/a.yaml"), root, root),
            "cases/a.yaml"
        );
        assert_eq!(
            repository_path(Path::new("./a.yaml"), Path::new("/work/repo/cases"), root),
            "cases/a.yaml"
        );
        assert_eq!(
            repository_path(
                Path::new("../cases/./b.yml"),
                Path::new("/work/repo/x"),
                root
            ),
            "cases/b.yml"
        );
        assert_eq!(
            repository_path(
                Path::new("/work/repo/cases/c.yaml"),
                Path::new("/tmp"),
                root
            ),
            "cases/c.yaml"
        );
        assert_eq!(
            repository_path(Path::new("/elsewhere/d.yaml"), root, root),
            "/elsewhere/d.yaml"
        );
    }
}
