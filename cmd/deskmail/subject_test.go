package main

import "testing"

func TestSubjectCommand(t *testing.T) {
	code, out, _ := runThreadCLI(t, "", "subject", "Re: AW: [list] Rechnung (fwd)", "回复：发票")
	if code != exitOK || out != "Rechnung\n发票\n" {
		t.Errorf("T7/human: exit %d, %q", code, out)
	}
	code, out, _ = runThreadCLI(t, "", "subject", "-json", "=?UTF-8?Q?SV:_Faktura?=")
	want := `{"input":"=?UTF-8?Q?SV:_Faktura?=","decoded":"SV: Faktura","base":"Faktura","reply_or_forward":true}` + "\n"
	if code != exitOK || out != want {
		t.Errorf("T7/json: exit %d\n got %s\nwant %s", code, out, want)
	}
	if code, _, _ := runThreadCLI(t, "", "subject"); code != exitUsage {
		t.Errorf("no argument: exit %d", code)
	}
}
