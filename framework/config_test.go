package framework

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsAndValidate(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.CollectionInterval != time.Second || c.RetentionPeriod != time.Hour || c.PrometheusPort != 9090 ||
		c.Storage != StorageMemory || c.MaxConnections != 20000 || c.Backlog != 2048 || c.MessageTimeout != 5*time.Second {
		t.Errorf("defaults %+v are not the seed's", c)
	}
	err := Config{CollectionInterval: -1, RetentionPeriod: -1, PrometheusPort: 70000, Storage: StorageDisk,
		MaxConnections: -1, Backlog: -1, MessageTimeout: -1}.Validate()
	for _, want := range []string{"collection_interval", "retention_period", "prometheus_port", "storage_path", "max_connections", "backlog", "message_timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
