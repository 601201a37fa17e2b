//! Fuzz target for the attachment-name extractor: any bytes as a whole message,
//! scanned whole and as a cut-off prefix, with default and tight limits; every
//! name found goes through normalisation, extension and the reply sanitiser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxgate::checks::attachments::reply_name;
use mxgate::mime::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let tight = Limits {
        max_depth: 3,
        decode_budget: 8192,
        zip: true,
        zip_max_entries: 4,
    };
    for (limits, truncated) in [(Limits::default(), false), (tight, true)] {
        let scan = mime::scan(data, truncated, &limits);
        for f in &scan.names {
            let n = mime::normalize(&f.name);
            let _ = mime::extension(&n);
            let r = reply_name(&n);
            assert!(r.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        }
    }
    // The zip reader on raw bytes too (in messages it only sees decoded parts).
    let _ = mime::zip::members(data, 16);
});
