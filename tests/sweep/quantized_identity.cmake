# A quantized file keeps its source's identity whichever command made it (docs/sweep.md "Quantized
# files keep their source's identity"): `quantize` then `run -m` the output stores the source's model
# name and hash; `run --precision int8` and `run -m` of the file it made give one cell; a record that
# no longer matches its file, or a malformed one, is ignored with a note and the file is its own model.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})

function(jouleval)
  execute_process(COMMAND ${JOULEVAL} ${ARGN} WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "jouleval ${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

set(run_args --task mmlu --samples --repetitions 1 --idle 0 --threads 1)

# The cells of `db` as "model,model_sha256,file_sha256,precision" entries (export's columns after the
# 16-digit machine id).
function(cells db)
  jouleval(export ${db} --format csv)
  string(REGEX MATCHALL ",[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f],[^,\n;]*,[0-9a-f]+,[0-9a-f]+,[^,\n;]*,"
         rows "${out}")
  set(result "")
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "^,[0-9a-f]+,(.*),$" "\\1" key "${row}")
    list(APPEND result "${key}")
  endforeach()
  set(cells "${result}" PARENT_SCOPE)
endfunction()

jouleval(synth --preset tiny -q -o src.gguf)
file(SHA256 ${OUT}/src.gguf src_sha)
string(SUBSTRING "${src_sha}" 0 12 src_sha12)

# (a) quantize, then run the output: the source's name and hash, the file's own precision and hash.
jouleval(quantize src.gguf -t int8 -o made.gguf -q)
if(NOT EXISTS ${OUT}/made.gguf.source.json)
  message(FATAL_ERROR "quantize wrote no made.gguf.source.json")
endif()
file(SHA256 ${OUT}/made.gguf made_sha)
jouleval(run -m made.gguf ${run_args} --db a.db)
if(NOT err MATCHES "made.gguf: quantized from src.gguf \\(sha256 ${src_sha12}\\): stored as model src at int8")
  message(FATAL_ERROR "(a) no line saying made.gguf is stored as model src:\n${err}")
endif()
cells(a.db)
if(NOT cells STREQUAL "src,${src_sha},${made_sha},int8")
  message(FATAL_ERROR "(a) expected the cell src,${src_sha},${made_sha},int8, got: ${cells}")
endif()

# quantize -f replaces the file and its record: the new file still has its source's identity.
file(READ ${OUT}/made.gguf.source.json before)
jouleval(quantize src.gguf -t int8 -o made.gguf -q -f)
file(READ ${OUT}/made.gguf.source.json after)
if(before STREQUAL after)
  message(FATAL_ERROR "quantize -f kept the old record (its stamp describes the replaced file):\n${after}")
endif()
jouleval(run -m made.gguf ${run_args} --db a.db)
if(NOT out MATCHES "0 new, 1 already done")
  message(FATAL_ERROR "quantize -f: the replaced file is not the same cell:\n${out}")
endif()

# (b) the sweep's own int8 file and `run -m` of it: one cell.
jouleval(run -m src.gguf --precision int8 ${run_args} --db b.db)
if(NOT out MATCHES "1 new")
  message(FATAL_ERROR "(b) run --precision int8 made no cell:\n${out}")
endif()
file(SHA256 ${OUT}/src.Q8_0.gguf cached_sha)
jouleval(run -m src.Q8_0.gguf ${run_args} --db b.db)
if(NOT out MATCHES "0 new, 1 already done")
  message(FATAL_ERROR "(b) run -m src.Q8_0.gguf did not find the cell already done:\n${out}")
endif()
cells(b.db)
if(NOT cells STREQUAL "src,${src_sha},${cached_sha},int8")
  message(FATAL_ERROR "(b) expected one cell src,${src_sha},${cached_sha},int8, got: ${cells}")
endif()

# (c1) a copy of the file with its record (another inode and time, the same content, as on another
# machine): still its source's model. Only the content decides.
file(COPY_FILE ${OUT}/made.gguf ${OUT}/copied.gguf)
file(COPY_FILE ${OUT}/made.gguf.source.json ${OUT}/copied.gguf.source.json)
file(TOUCH ${OUT}/copied.gguf)
jouleval(run -m copied.gguf ${run_args} --db c1.db)
cells(c1.db)
if(NOT cells STREQUAL "src,${src_sha},${made_sha},int8")
  message(FATAL_ERROR "(c1) expected the copy to be src,${src_sha},${made_sha},int8, got: ${cells}")
endif()

# (c) a file replaced since its record was written (another content: the source itself copied over
# it): the record does not match, a note, and the file is its own model.
file(COPY_FILE ${OUT}/src.gguf ${OUT}/made.gguf)
jouleval(run -m made.gguf ${run_args} --db c.db)
if(NOT err MATCHES "made.gguf: changed or replaced since it was quantized from src.gguf")
  message(FATAL_ERROR "(c) no note about the stale record:\n${err}")
endif()
cells(c.db)
if(NOT cells MATCHES "^made,${src_sha},${src_sha},")
  message(FATAL_ERROR "(c) expected the cell made,${src_sha},${src_sha},..., got: ${cells}")
endif()

# (d) a malformed record: a note, exit 0, the file is its own model.
file(WRITE ${OUT}/made.gguf.source.json "{\"source\": \"src.gguf\", ")
jouleval(run -m made.gguf ${run_args} --db d.db)
if(NOT err MATCHES "made.gguf: record ignored \\([^\n]*made.gguf.source.json: not a JSON object\\)")
  message(FATAL_ERROR "(d) no note about the malformed record:\n${err}")
endif()
cells(d.db)
if(NOT cells MATCHES "^made,${src_sha},${src_sha},")
  message(FATAL_ERROR "(d) expected the cell made,${src_sha},${src_sha},..., got: ${cells}")
endif()
