package authguard

import "container/list"

// table is a map bounded to max entries: putting a new key into a full
// table drops the least recently put one.
type table[K comparable, V any] struct {
	max   int
	m     map[K]*list.Element
	order *list.List // front = most recently put; values are *entry[K, V]
}

type entry[K comparable, V any] struct {
	key K
	val V
}

func newTable[K comparable, V any](max int) *table[K, V] {
	return &table[K, V]{max: max, m: make(map[K]*list.Element), order: list.New()}
}

func (t *table[K, V]) get(k K) (V, bool) {
	if e, ok := t.m[k]; ok {
		return e.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (t *table[K, V]) put(k K, v V) {
	if e, ok := t.m[k]; ok {
		e.Value.(*entry[K, V]).val = v
		t.order.MoveToFront(e)
		return
	}
	if t.order.Len() >= t.max {
		oldest := t.order.Back()
		t.order.Remove(oldest)
		delete(t.m, oldest.Value.(*entry[K, V]).key)
	}
	t.m[k] = t.order.PushFront(&entry[K, V]{key: k, val: v})
}

func (t *table[K, V]) remove(k K) {
	if e, ok := t.m[k]; ok {
		t.order.Remove(e)
		delete(t.m, k)
	}
}

func (t *table[K, V]) len() int { return t.order.Len() }

// keys returns the keys, most recently put first.
func (t *table[K, V]) keys() []K {
	ks := make([]K, 0, t.order.Len())
	for e := t.order.Front(); e != nil; e = e.Next() {
		ks = append(ks, e.Value.(*entry[K, V]).key)
	}
	return ks
}
