package futures

import (
	"context"
	"testing"
)

func TestZZSubmittedAtLeast(t *testing.T) {
	p := newPool(t, WithWorkers(4))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := p.Stats()
			if sum := s.Succeeded + s.Failed + s.Panicked + s.Cancelled + s.Rejected; sum > s.Submitted {
				t.Errorf("submitted %d < %d", s.Submitted, sum)
				return
			}
		}
	}()
	for range 50000 {
		Submit(context.Background(), p, func(context.Context) (int, error) { return 0, nil })
	}
	close(stop)
	<-done
}
