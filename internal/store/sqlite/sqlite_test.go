package sqlite

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/storetest"
)

func backend() storetest.Backend {
	return storetest.Backend{
		NewInstance: func(t testing.TB) string { return t.TempDir() },
		Open: func(dir string) (store.Store, error) {
			return Open(context.Background(), Options{Dir: dir, TextExtractor: imapmsg.IndexText})
		},
		OpenPlain: func(dir string) (store.Store, error) {
			return Open(context.Background(), Options{Dir: dir})
		},
		Indexes: true,
		OpenIndexing: func(dir string, idle time.Duration) (store.Store, error) {
			return Open(context.Background(), Options{Dir: dir, TextExtractor: imapmsg.IndexText, IndexInBackground: true, IndexIdle: idle})
		},
	}
}

func TestMain(m *testing.M) {
	storetest.CrashChild(backend())
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) { storetest.Run(t, backend()) }

func TestCrash(t *testing.T) { storetest.TestCrash(t, backend()) }

func BenchmarkDeliverParallel(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"4KiB", 4 << 10}, {"100KiB", 100 << 10}} {
		b.Run(c.name, func(b *testing.B) { storetest.BenchmarkDeliver(b, backend(), c.size, 64, 100) })
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	storetest.BenchmarkAppend(b, backend(), 4<<10, 16, 100)
}
