package clientinit

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// selinuxLabel is the extended attribute holding a file's SELinux context.
const selinuxLabel = "security.selinux"

// copyOwnerAndLabel gives tmp the owner of like and the SELinux label of
// the file at path, so that replacing a file does not change who owns it
// or how policy treats it.
func copyOwnerAndLabel(tmp *os.File, path string, like fs.FileInfo) error {
	if st, ok := like.Sys().(*syscall.Stat_t); ok {
		if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	buf := make([]byte, 4096)
	n, err := syscall.Getxattr(path, selinuxLabel, buf)
	if errors.Is(err, syscall.ENODATA) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := syscall.Setxattr(tmp.Name(), selinuxLabel, buf[:n], 0); err != nil && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
