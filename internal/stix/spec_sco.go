package stix

import (
	"bytes"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// The property tables of the STIX Cyber-observable Objects (section 6) and
// their predefined extensions.

// scoSpecs returns the specs of the SCOs.
func scoSpecs() []typeSpec {
	hashes := opt("hashes", checkHashes)
	ctime := opt("ctime", checkTimestamp)
	mtime := opt("mtime", checkTimestamp)
	atime := opt("atime", checkTimestamp)
	refsToAddrs := func(describe string, types ...string) propRule {
		return opt("resolves_to_refs", listOf(refTo(describe, types...)))
	}
	belongsToAS := opt("belongs_to_refs", listOf(refTo("must reference an autonomous-system", "autonomous-system")))

	return []typeSpec{
		{name: "artifact", class: classSCO, props: []propRule{
			opt("mime_type", checkString),
			opt("payload_bin", checkBinary),
			opt("url", checkURL),
			hashes,
			opt("encryption_algorithm", enumOf("encryption-algorithm-enum", "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated")),
			opt("decryption_key", checkString),
		}, rules: []objectRule{
			atLeastOneOf("an artifact must have payload_bin or url", "payload_bin", "url"),
			notTogether("payload_bin", "url"),
			requires("url", "hashes"),
			requires("decryption_key", "encryption_algorithm"),
		}},

		{name: "autonomous-system", class: classSCO, props: []propRule{
			req("number", checkInteger),
			opt("name", checkString),
			opt("rir", checkString),
		}},

		{name: "directory", class: classSCO, props: []propRule{
			req("path", checkString),
			opt("path_enc", checkString),
			ctime, mtime, atime,
			opt("contains_refs", listOf(refFileOrDir)),
		}},

		{name: "domain-name", class: classSCO, props: []propRule{
			req("value", checkDomainName),
			refsToAddrs("must reference an ipv4-addr, ipv6-addr or domain-name", "ipv4-addr", "ipv6-addr", "domain-name"),
		}},

		{name: "email-addr", class: classSCO, props: []propRule{
			req("value", checkEmailAddress),
			opt("display_name", checkString),
			opt("belongs_to_ref", refUserAccount),
		}},

		{name: "email-message", class: classSCO, props: []propRule{
			req("is_multipart", checkBool),
			opt("date", checkTimestamp),
			opt("content_type", checkString),
			opt("from_ref", refEmailAddr),
			opt("sender_ref", refEmailAddr),
			opt("to_refs", listOf(refEmailAddr)),
			opt("cc_refs", listOf(refEmailAddr)),
			opt("bcc_refs", listOf(refEmailAddr)),
			opt("message_id", checkString),
			opt("subject", checkString),
			opt("received_lines", listOfStrings),
			opt("additional_header_fields", dictOf(listOfStrings)),
			opt("body", checkString),
			opt("body_multipart", listOf(objectOf(mimePartSpec))),
			opt("raw_email_ref", refArtifact),
		}, rules: []objectRule{checkMultipart}},

		{name: "file", class: classSCO, props: []propRule{
			hashes,
			opt("size", checkNonNegative),
			opt("name", checkString),
			opt("name_enc", checkString),
			opt("magic_number_hex", checkHex),
			opt("mime_type", checkString),
			ctime, mtime, atime,
			opt("parent_directory_ref", refTo("must reference a directory", "directory")),
			opt("contains_refs", listOf(refSCO)),
			opt("content_ref", refArtifact),
		}, rules: []objectRule{
			atLeastOneOf("a file must have hashes or name", "hashes", "name"),
			requires("name_enc", "name"),
		}, extensions: map[string]*objectSpec{
			"archive-ext":          archiveExtSpec,
			"ntfs-ext":             ntfsExtSpec,
			"pdf-ext":              pdfExtSpec,
			"raster-image-ext":     rasterImageExtSpec,
			"windows-pebinary-ext": peBinaryExtSpec,
		}},

		{name: "ipv4-addr", class: classSCO, props: []propRule{
			req("value", checkIPv4),
			refsToAddrs("must reference a mac-addr", "mac-addr"),
			belongsToAS,
		}},

		{name: "ipv6-addr", class: classSCO, props: []propRule{
			req("value", checkIPv6),
			refsToAddrs("must reference a mac-addr", "mac-addr"),
			belongsToAS,
		}},

		{name: "mac-addr", class: classSCO, props: []propRule{req("value", checkMAC)}},

		{name: "mutex", class: classSCO, props: []propRule{req("name", checkString)}},

		{name: "network-traffic", class: classSCO, props: []propRule{
			tsProp("start", false),
			tsProp("end", false),
			opt("is_active", checkBool),
			opt("src_ref", refAddress),
			opt("dst_ref", refAddress),
			opt("src_port", checkPort),
			opt("dst_port", checkPort),
			req("protocols", listOfStrings),
			// Byte and packet counts are "positive integers" in the prose;
			// zero is allowed, as in the OASIS JSON schema, since a flow may
			// carry nothing in one direction.
			opt("src_byte_count", checkNonNegative),
			opt("dst_byte_count", checkNonNegative),
			opt("src_packets", checkNonNegative),
			opt("dst_packets", checkNonNegative),
			opt("ipfix", dictOf(checkIntOrString)),
			opt("src_payload_ref", refArtifact),
			opt("dst_payload_ref", refArtifact),
			opt("encapsulates_refs", listOf(refTraffic)),
			opt("encapsulated_by_ref", refTraffic),
		}, rules: []objectRule{
			atLeastOneOf("a network-traffic must have src_ref or dst_ref", "src_ref", "dst_ref"),
			timeOrder("start", "end", false, "must not be before start"),
			checkActiveTraffic,
		}, extensions: map[string]*objectSpec{
			"http-request-ext": httpRequestExtSpec,
			"icmp-ext":         icmpExtSpec,
			"socket-ext":       socketExtSpec,
			"tcp-ext":          tcpExtSpec,
		}},

		{name: "process", class: classSCO, props: []propRule{
			opt("is_hidden", checkBool),
			opt("pid", checkInteger),
			opt("created_time", checkTimestamp),
			opt("cwd", checkString),
			opt("command_line", checkString),
			opt("environment_variables", dictOf(checkString)),
			opt("opened_connection_refs", listOf(refTraffic)),
			opt("creator_user_ref", refUserAccount),
			opt("image_ref", refFile),
			opt("parent_ref", refProcess),
			opt("child_refs", listOf(refProcess)),
		}, rules: []objectRule{atLeastOneProperty("process")}, extensions: map[string]*objectSpec{
			"windows-process-ext": windowsProcessExtSpec,
			"windows-service-ext": windowsServiceExtSpec,
		}},

		{name: "software", class: classSCO, props: []propRule{
			req("name", checkString),
			opt("cpe", checkCPE),
			opt("swid", checkString),
			opt("languages", listOf(checkLangTag)),
			opt("vendor", checkString),
			opt("version", checkString),
		}},

		{name: "url", class: classSCO, props: []propRule{req("value", checkURL)}},

		{name: "user-account", class: classSCO, props: []propRule{
			opt("user_id", checkString),
			opt("credential", checkString),
			opt("account_login", checkString),
			opt("account_type", checkString), // account-type-ov
			opt("display_name", checkString),
			opt("is_service_account", checkBool),
			opt("is_privileged", checkBool),
			opt("can_escalate_privs", checkBool),
			opt("is_disabled", checkBool),
			opt("account_created", checkTimestamp),
			opt("account_expires", checkTimestamp),
			opt("credential_last_changed", checkTimestamp),
			opt("account_first_login", checkTimestamp),
			opt("account_last_login", checkTimestamp),
		}, rules: []objectRule{atLeastOneProperty("user-account")}, extensions: map[string]*objectSpec{
			"unix-account-ext": unixAccountExtSpec,
		}},

		{name: "windows-registry-key", class: classSCO, props: []propRule{
			opt("key", checkRegistryKey),
			opt("values", listOf(objectOf(registryValueSpec))),
			opt("modified_time", checkTimestamp),
			opt("creator_user_ref", refUserAccount),
			opt("number_of_subkeys", checkInteger),
		}, rules: []objectRule{atLeastOneProperty("windows-registry-key")}},

		{name: "x509-certificate", class: classSCO, props: []propRule{
			opt("is_self_signed", checkBool),
			hashes,
			opt("version", checkString),
			opt("serial_number", checkString),
			opt("signature_algorithm", checkString),
			opt("issuer", checkString),
			opt("validity_not_before", checkTimestamp),
			opt("validity_not_after", checkTimestamp),
			opt("subject", checkString),
			opt("subject_public_key_algorithm", checkString),
			opt("subject_public_key_modulus", checkString),
			opt("subject_public_key_exponent", checkInteger),
			opt("x509_v3_extensions", objectOf(x509V3ExtensionsSpec)),
		}, rules: []objectRule{atLeastOneProperty("x509-certificate")}},
	}
}

// checkPort requires a port number, 0 to 65535.
var checkPort = intIn(0, 65535, "must be an integer from 0 to 65535")

// checkMultipart: body only when is_multipart is false, body_multipart
// only when it is true (section 6.6).
func checkMultipart(c *checker) {
	raw, ok := c.props.get("is_multipart")
	if !ok {
		return
	}
	switch string(raw) {
	case "true":
		if c.has("body") {
			c.add("body", "must not be present when is_multipart is true; use body_multipart")
		}
	case "false":
		if c.has("body_multipart") {
			c.add("body_multipart", "must not be present when is_multipart is false; use body")
		}
	}
}

// checkActiveTraffic: traffic that is still active has no end (section
// 6.12).
func checkActiveTraffic(c *checker) {
	if raw, ok := c.props.get("is_active"); ok && string(raw) == "true" && c.has("end") {
		c.add("end", "must not be present when is_active is true")
	}
}

// checkRegistryKey requires a registry key whose hive is spelled out
// (HKEY_LOCAL_MACHINE, not HKLM; section 6.17).
func checkRegistryKey(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if !ok {
		c.add("", "must be a string")
		return
	}
	hive, _, _ := bytes.Cut(s, []byte(`\`))
	for _, short := range []string{"HKLM", "HKCU", "HKCR", "HKU", "HKCC", "HKPD"} {
		if bytes.EqualFold(hive, []byte(short)) {
			c.add("", "the hive must be fully expanded, e.g. HKEY_LOCAL_MACHINE instead of HKLM")
			return
		}
	}
}

// mimePartSpec is email-mime-part-type (section 6.6.2).
var mimePartSpec = newObjectSpec("email MIME part",
	opt("body", checkString),
	opt("body_raw_ref", refTo("must reference an artifact or file", "artifact", "file")),
	opt("content_type", checkString),
	opt("content_disposition", checkString),
).with(func(c *checker, raw []byte) {
	_, body := lookupMember(raw, "body")
	_, ref := lookupMember(raw, "body_raw_ref")
	if !body && !ref {
		c.add("", "must have body or body_raw_ref")
	}
})

// archiveExtSpec is archive-ext (section 6.7.2).
var archiveExtSpec = newObjectSpec("archive-ext",
	req("contains_refs", listOf(refFileOrDir)),
	opt("comment", checkString),
)

// ntfsExtSpec is ntfs-ext (section 6.7.3).
var ntfsExtSpec = newObjectSpec("ntfs-ext",
	opt("sid", checkString),
	opt("alternate_data_streams", listOf(objectOf(newObjectSpec("alternate data stream",
		req("name", checkString),
		opt("hashes", checkHashes),
		opt("size", checkNonNegative),
	)))),
).oneRequired("")

// pdfExtSpec is pdf-ext (section 6.7.4).
var pdfExtSpec = newObjectSpec("pdf-ext",
	opt("version", checkString),
	opt("is_optimized", checkBool),
	opt("document_info_dict", dictOf(checkString)),
	opt("pdfid0", checkString),
	opt("pdfid1", checkString),
).oneRequired("")

// rasterImageExtSpec is raster-image-ext (section 6.7.5).
var rasterImageExtSpec = newObjectSpec("raster-image-ext",
	opt("image_height", checkInteger),
	opt("image_width", checkInteger),
	opt("bits_per_pixel", checkInteger),
	opt("exif_tags", dictOf(checkIntOrString)),
).oneRequired("")

// peBinaryExtSpec is windows-pebinary-ext (section 6.7.6).
var peBinaryExtSpec = newObjectSpec("windows-pebinary-ext",
	req("pe_type", checkString), // windows-pebinary-type-ov
	opt("imphash", checkString),
	opt("machine_hex", checkHex),
	opt("number_of_sections", checkNonNegative),
	opt("time_date_stamp", checkTimestamp),
	opt("pointer_to_symbol_table_hex", checkHex),
	opt("number_of_symbols", checkNonNegative),
	opt("size_of_optional_header", checkNonNegative),
	opt("characteristics_hex", checkHex),
	opt("file_header_hashes", checkHashes),
	opt("optional_header", objectOf(peOptionalHeaderSpec)),
	opt("sections", listOf(objectOf(peSectionSpec))),
).oneRequired("pe_type")

// peOptionalHeaderSpec is windows-pe-optional-header-type.
var peOptionalHeaderSpec = newObjectSpec("PE optional header",
	opt("magic_hex", checkHex),
	opt("major_linker_version", checkInteger),
	opt("minor_linker_version", checkInteger),
	opt("size_of_code", checkNonNegative),
	opt("size_of_initialized_data", checkNonNegative),
	opt("size_of_uninitialized_data", checkNonNegative),
	opt("address_of_entry_point", checkInteger),
	opt("base_of_code", checkInteger),
	opt("base_of_data", checkInteger),
	opt("image_base", checkInteger),
	opt("section_alignment", checkInteger),
	opt("file_alignment", checkInteger),
	opt("major_os_version", checkInteger),
	opt("minor_os_version", checkInteger),
	opt("major_image_version", checkInteger),
	opt("minor_image_version", checkInteger),
	opt("major_subsystem_version", checkInteger),
	opt("minor_subsystem_version", checkInteger),
	opt("win32_version_value_hex", checkHex),
	opt("size_of_image", checkNonNegative),
	opt("size_of_headers", checkNonNegative),
	opt("checksum_hex", checkHex),
	opt("subsystem_hex", checkHex),
	opt("dll_characteristics_hex", checkHex),
	opt("size_of_stack_reserve", checkNonNegative),
	opt("size_of_stack_commit", checkNonNegative),
	opt("size_of_heap_reserve", checkNonNegative),
	opt("size_of_heap_commit", checkNonNegative),
	opt("loader_flags_hex", checkHex),
	opt("number_of_rva_and_sizes", checkInteger),
	opt("hashes", checkHashes),
).oneRequired("")

// peSectionSpec is windows-pe-section-type.
var peSectionSpec = newObjectSpec("PE section",
	req("name", checkString),
	opt("size", checkNonNegative),
	opt("entropy", floatIn(0, 8, "must be a number from 0 to 8 (Shannon entropy of bytes)")),
	opt("hashes", checkHashes),
)

// httpRequestExtSpec is http-request-ext (section 6.12.2).
var httpRequestExtSpec = newObjectSpec("http-request-ext",
	req("request_method", checkString),
	req("request_value", checkString),
	opt("request_version", checkString),
	opt("request_header", dictOf(listOfStrings)),
	opt("message_body_length", checkInteger),
	opt("message_body_data_ref", refArtifact),
)

// icmpExtSpec is icmp-ext (section 6.12.3).
var icmpExtSpec = newObjectSpec("icmp-ext",
	req("icmp_type_hex", checkHex),
	req("icmp_code_hex", checkHex),
)

// socketExtSpec is socket-ext (section 6.12.4).
var socketExtSpec = newObjectSpec("socket-ext",
	req("address_family", enumOf("network-socket-address-family-enum",
		"AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")),
	opt("is_blocking", checkBool),
	opt("is_listening", checkBool),
	opt("options", dictOf(checkInteger)),
	opt("socket_type", enumOf("network-socket-type-enum",
		"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET")),
	opt("socket_descriptor", checkNonNegative),
	opt("socket_handle", checkInteger),
)

// tcpExtSpec is tcp-ext (section 6.12.5).
var tcpExtSpec = newObjectSpec("tcp-ext",
	opt("src_flags_hex", checkHex),
	opt("dst_flags_hex", checkHex),
).oneRequired("")

// windowsProcessExtSpec is windows-process-ext (section 6.13.2).
var windowsProcessExtSpec = newObjectSpec("windows-process-ext",
	opt("aslr_enabled", checkBool),
	opt("dep_enabled", checkBool),
	opt("priority", checkString),
	opt("owner_sid", checkString),
	opt("windows_title", checkString),
	opt("startup_info", dictOf(nil)),
	opt("integrity_level", enumOf("windows-integrity-level-enum", "low", "medium", "high", "system")),
).oneRequired("")

// windowsServiceExtSpec is windows-service-ext (section 6.13.3).
var windowsServiceExtSpec = newObjectSpec("windows-service-ext",
	opt("service_name", checkString),
	opt("descriptions", listOfStrings),
	opt("display_name", checkString),
	opt("group_name", checkString),
	opt("start_type", enumOf("windows-service-start-type-enum",
		"SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT")),
	opt("service_dll_refs", listOf(refFile)),
	opt("service_type", enumOf("windows-service-type-enum",
		"SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")),
	opt("service_status", enumOf("windows-service-status-enum",
		"SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING",
		"SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED")),
).oneRequired("")

// unixAccountExtSpec is unix-account-ext (section 6.16.2).
var unixAccountExtSpec = newObjectSpec("unix-account-ext",
	opt("gid", checkInteger),
	opt("groups", listOfStrings),
	opt("home_dir", checkString),
	opt("shell", checkString),
).oneRequired("")

// registryValueSpec is windows-registry-value-type (section 6.17.2).
var registryValueSpec = newObjectSpec("registry value",
	opt("name", checkString),
	opt("data", checkString),
	opt("data_type", enumOf("windows-registry-datatype-enum",
		"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
		"REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
		"REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE")),
).oneRequired("")

// x509V3ExtensionsSpec is x509-v3-extensions-type (section 6.18.2).
var x509V3ExtensionsSpec = newObjectSpec("X.509 v3 extensions",
	opt("basic_constraints", checkString),
	opt("name_constraints", checkString),
	opt("policy_constraints", checkString),
	opt("key_usage", checkString),
	opt("extended_key_usage", checkString),
	opt("subject_key_identifier", checkString),
	opt("authority_key_identifier", checkString),
	opt("subject_alternative_name", checkString),
	opt("issuer_alternative_name", checkString),
	opt("subject_directory_attributes", checkString),
	opt("crl_distribution_points", checkString),
	opt("inhibit_any_policy", checkString),
	opt("private_key_usage_period_not_before", checkTimestamp),
	opt("private_key_usage_period_not_after", checkTimestamp),
	opt("certificate_policies", checkString),
	opt("policy_mappings", checkString),
).oneRequired("")
