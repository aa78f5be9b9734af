// DICOM series in and out, through GDCM (Grassroots DICOM, libgdcm-dev).
//
// An MR series is a folder of files, one 2-D slice each, tied together by a SeriesInstanceUID.
// load_dicom_series turns one into the same Volume (float voxels + NIfTI-style RAS geometry) that
// load_nifti returns, so the rest of the pipeline does not care which format came in;
// save_dicom_series writes a result back as a new, derived series of the same study, which PACS
// and viewers then show next to the original.
//
// Why GDCM rather than DCMTK: every compressed transfer syntax the Debian build has codecs for
// (JPEG baseline/extended/lossless via its bundled IJG libjpeg 8/12/16-bit, JPEG-LS via CharLS,
// JPEG 2000 via OpenJPEG, RLE) decodes through one gdcm::Bitmap::GetBuffer call, with no
// per-codec registration (DCMTK needs DJDecoderRegistration / DJLSDecoderRegistration /
// DcmRLEDecoderRegistration, and has no JPEG 2000 in its free edition); gdcm::IPPSorter and
// gdcm::ImageHelper show the same geometry rules we apply; it installs a CMake package config
// (find_package(GDCM)); and ITK's GDCMImageIO is built on it, so our reading matches what
// ITK-based tools (3D Slicer, ANTs, c3d) see.
//
// Reading is defensive (docs/reliability.md: no allocation beyond what the file can hold): each
// file's element structure is walked before GDCM parses it (dicom_structure.h), headers are
// validated before any pixel buffer exists, and pixel buffers are bounded by the file size.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "train/io/nifti_io.h"

namespace gan::io {

// At most this many candidate files (regular, not hidden) in a folder given to find_dicom_series.
// The largest single MR series are ~2000 slices (thin-slice 3-D, or a few hundred per volume of a
// diffusion run); 20000 leaves room for a whole study in one folder while bounding the work (and
// memory: each file's header is parsed) that a hostile folder of 10^5 tiny files can cause.
constexpr size_t kMaxDicomFiles = 20000;

// Compressed pixel data may decode to at most this many times its file's size (plus
// kMaxImageSmallDecode-like slack of 1 MB for tiny files). Lossless JPEG / JPEG-LS / RLE of MR
// reach 2-4:1, lossy JPEG 2000 perhaps 100:1; only a crafted header claims more.
constexpr long long kMaxDicomExpansion = 2000;

// The DICOM files of one series in a folder, in file-name order (not yet sorted geometrically).
struct DicomSeriesFiles {
  std::string folder;
  std::string series_uid;
  std::string description;          // SeriesDescription of the first file (may be empty)
  std::vector<std::string> files;   // full paths
};

// Where each slice of a loaded series came from.
struct DicomSeriesInfo {
  std::string series_uid;
  std::vector<std::string> slice_files;  // slice_files[z]: the file of slice z (geometric order)
};

// Cheap content check: the "DICM" marker at byte 128 of a regular file. Files without the
// DICOM Part 10 preamble (bare data sets, old ACR-NEMA exports) are not read, whatever their name.
bool is_dicom_file(const std::string& path);

// The DICOM files directly in `dir` (by content, any extension; hidden files skipped), grouped by
// SeriesInstanceUID, series in UID order. Empty when there are none. Files whose headers GDCM
// cannot read are skipped. Throws gan::InputError("<dir>: ...") if dir cannot be listed or holds
// more than max_files candidate files (checked while listing, before reading any file).
std::vector<DicomSeriesFiles> find_dicom_series(const std::string& dir,
                                                size_t max_files = kMaxDicomFiles);

// Reads one series into a Volume: float voxels with RescaleSlope/Intercept applied; slices sorted
// by position along the slice normal (the cross product of the ImageOrientationPatient
// directions; ImagePositionPatient projected on it); nx = Columns, ny = Rows, nz = slices.
// Geometry NIfTI-style in RAS+ (DICOM's LPS with x and y negated): sform = qform = scanner
// anatomical, srow = voxel -> RAS affine (columns: row direction * column spacing, column
// direction * row spacing, normal * slice step; translation: the first slice's position),
// quaternion from the same matrix, pixdim = (qfac, dx, dy, slice step), units mm. datatype is
// DT_INT16 / DT_UINT16 / ... of the stored pixels. `info`, when given, receives each z's file.
//
// Slice spacing: each step between consecutive slices must be within
// max(kDicomSpacingTolerance * median step, kDicomSpacingToleranceMm) of the median step (else a
// missing slice or mixed volumes); steps below kDicomDuplicateMm are duplicate positions.
// One slice alone gets SpacingBetweenSlices, else SliceThickness, else 1 mm as its step.
//
// Refused, each with gan::InputError naming the file (or folder) and the problem: a file GDCM
// cannot read; mixed Rows/Columns; missing or mixed ImageOrientationPatient; missing
// ImagePositionPatient; duplicate positions; gaps; slices not stacked along the normal;
// multi-frame files (NumberOfFrames > 1: enhanced MR keeps its geometry per frame in functional
// groups, not read here); colour or more than one sample per pixel; Rows or Columns over
// kMaxNiftiDim or the series over kMaxNiftiVoxels (checked from headers, before any pixel buffer);
// pixel data larger than its file can hold (uncompressed: the bytes must be there; compressed: at
// most kMaxDicomExpansion times the file size, and the codec's own header must agree with Rows
// and Columns).
Volume load_dicom_series(const DicomSeriesFiles& series, DicomSeriesInfo* info = nullptr);
// The folder must hold exactly one series (else an error saying how many it holds; with none,
// the reason the first unreadable DICOM file could not be read, if there is one).
Volume load_dicom_series(const std::string& dir, DicomSeriesInfo* info = nullptr);

constexpr double kDicomSpacingTolerance = 0.01;   // 1% of the median slice step
constexpr double kDicomSpacingToleranceMm = 0.01;
constexpr double kDicomDuplicateMm = 0.001;

struct DicomWriteOptions {
  std::string series_description = "gan_infer translation";
  int series_number = 1000;
  // Used only without a source series (a synthetic volume):
  std::string patient_name = "PHANTOM", patient_id = "PHANTOM";
  std::string study_description;
};

// Writes a series into out_dir (created if needed; it must not already hold DICOM files, so two
// series never mix), one file per z slice, named slice_0001.dcm, ... Each file is written
// atomically (temp name + rename); all slices are encoded in memory first, and if writing one
// fails the slices already written are removed, so no partial series is left under final names.
//
// voxels: nx*ny*nz floats in like's layout. Stored as signed 16-bit (PixelRepresentation 1) with
// RescaleSlope/Intercept chosen so that the data range spans -32768..32767 (values that are all
// integers in int16's range are stored exactly with slope 1); the quantisation error is at most
// half a step, (max - min) / 131070. Non-finite voxels are written as 0. Explicit VR little
// endian, uncompressed. New SeriesInstanceUID and SOPInstanceUIDs; ImageType DERIVED\SECONDARY;
// SeriesDescription / SeriesNumber from options; WindowCenter/Width from the data range.
//
// With `source` (the series the input came from; it must have like's dims): slice z copies the
// data set of the source's slice z (geometric order, as load_dicom_series read it), so patient,
// study, FrameOfReferenceUID and geometry stay those of the source, and SourceImageSequence
// refers to the source slice; the source's pixel description, window, overlays, icon and private
// elements are dropped (private elements may hold vendor scalings that would misread the new
// pixels), its LossyImageCompression history kept. Without a source (a synthetic volume, e.g. a
// phantom): the geometry comes from like.geometry (sform if sform_code > 0, else qform; RAS ->
// LPS), written as MR Image Storage with patient/study fields from options and new
// StudyInstanceUID and FrameOfReferenceUID. DICOM cannot express shear: the row and column
// directions are written normalised. If the slice axis of like points against the normal (a
// left-handed affine, qfac -1), the files are still exact, but a later load_dicom_series returns
// the slices in the opposite (ascending along the normal) order with the matching affine.
//
// Strings from options: non-ASCII bytes become '?', '\' becomes '/', cut to 64 characters (LO).
// Throws std::invalid_argument for a voxel count mismatch, gan::InputError if the source cannot be
// read or does not match, or a file cannot be written.
void save_dicom_series(const std::string& out_dir, const Volume& like,
                       const std::vector<float>& voxels, const DicomSeriesFiles* source,
                       const DicomWriteOptions& options = {});

}  // namespace gan::io
